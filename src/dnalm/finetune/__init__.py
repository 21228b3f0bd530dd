"""Fine-tuning: settings (:mod:`~dnalm.finetune.config`), the default recipe (:mod:`~dnalm.finetune.recipe`),
data and splits (:mod:`~dnalm.finetune.data`) and the training (:mod:`~dnalm.finetune.train`); problem types,
shared with prediction and the models, are :mod:`dnalm.tasks`. Nothing is imported here, so importing the package
loads no torch."""
