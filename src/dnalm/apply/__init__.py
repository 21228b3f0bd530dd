"""A trained model applied to data: prediction (:mod:`~dnalm.apply.predict`), evaluation
(:mod:`~dnalm.apply.evaluate`), genome scans (:mod:`~dnalm.apply.scan`) and variant effects
(:mod:`~dnalm.apply.variants`)."""
