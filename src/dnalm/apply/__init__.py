"""A trained model applied to data: prediction (:mod:`~dnalm.apply.predict`), evaluation
(:mod:`~dnalm.apply.evaluate`), genome scans (:mod:`~dnalm.apply.scan`), variant effects
(:mod:`~dnalm.apply.variants`) and the ``dna-classification`` pipeline of plain transformers
(:mod:`~dnalm.apply.pipelines`)."""
