"""Masked DNA language models: pretraining (:mod:`~dnalm.lm.pretrain`), masking (:mod:`~dnalm.lm.masking`),
corpora (:mod:`~dnalm.lm.corpus`), fill-mask and embeddings (:mod:`~dnalm.lm.inference`), per-base evaluation
(:mod:`~dnalm.lm.evaluate`) and count-based references (:mod:`~dnalm.lm.baselines`)."""
