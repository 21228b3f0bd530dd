"""How a run runs: Trainer callbacks (:mod:`~dnalm.runtime.callbacks`), several processes
(:mod:`~dnalm.runtime.distributed`) and this machine (:mod:`~dnalm.runtime.hardware`)."""
