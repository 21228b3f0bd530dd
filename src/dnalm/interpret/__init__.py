"""Which bases a score rests on: attributions (:mod:`~dnalm.interpret.attributions`) and the motifs found in
them (:mod:`~dnalm.interpret.motifs`)."""
