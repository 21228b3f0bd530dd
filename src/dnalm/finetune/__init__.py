"""Fine-tuning: settings (:mod:`~dnalm.finetune.config`), the default recipe (:mod:`~dnalm.finetune.recipe`),
data and splits (:mod:`~dnalm.finetune.data`), problem types (:mod:`~dnalm.finetune.tasks`) and the training
steps (:mod:`~dnalm.finetune.train`). Nothing is imported here, so importing the package loads no torch."""
