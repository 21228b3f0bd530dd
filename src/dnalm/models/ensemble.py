"""Several trained classifiers averaged, as one ``PreTrainedModel``.

The recipe trains more than one candidate architecture on small data; where the average of their predictions
validates better than any one of them, ``finetune`` saves the average. It is one model folder like any other:
``from_pretrained`` (through ``AutoModelForSequenceClassification`` once dnalm is imported) loads every member's
weights, and ``evaluate``, ``predict``, ``scan``, ``variants``, ``interpret`` and the pipeline read it through the
same ``input_ids``/``attention_mask``/``labels`` contract as any classifier. The members share the tokenizer, the
labels and the task; the average is taken where it means something: of the class probabilities for a classifier
(softmax or sigmoid), of the values for a regression (:meth:`dnalm.tasks.Task.average`).
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from dnalm.models.loading import config_max_tokens
from dnalm.tasks import DEFAULT_TASK, get_task

__all__ = ["EnsembleConfig", "EnsembleForSequenceClassification"]

#: What a member's config keeps of its own: everything but what the ensemble says for all of them.
_SHARED = ("id2label", "label2id", "problem_type", "architectures", "transformers_version", "dtype", "torch_dtype")


class EnsembleConfig(PretrainedConfig):
    """Settings of :class:`EnsembleForSequenceClassification`: each member's config as a dict (with its
    ``model_type``), in order; the labels and ``problem_type`` are the ensemble's (every member has them).

    The longest input is the shortest of the members' (``max_position_embeddings``, or ``input_length`` for a
    model that takes one fixed length), so ``model_max_tokens`` reads it as for any model.
    """

    model_type = "dnalm-ensemble"

    def __init__(self, members=(), **kwargs):
        super().__init__(**kwargs)
        if isinstance(members, str) or not isinstance(members, list | tuple):
            raise ValueError(f"members must be a list of model configs; got {type(members).__name__}")
        self.members = [{k: v for k, v in dict(m).items() if k not in _SHARED} for m in members]
        for i, m in enumerate(self.members):
            if not isinstance(m.get("model_type"), str):
                raise ValueError(f"member {i} of the ensemble has no model_type")
        limits = [config_max_tokens(c) for c in self.member_configs()]
        if limits := [n for n in limits if n is not None]:
            self.max_position_embeddings = min(limits)

    def member_configs(self) -> list[PretrainedConfig]:
        """Each member's config, with the ensemble's labels and task."""
        from transformers import AutoConfig

        shared = {"id2label": self.id2label, "problem_type": self.problem_type}
        return [AutoConfig.for_model(**{**m, **shared}) for m in self.members]


class EnsembleForSequenceClassification(PreTrainedModel):
    """The members' outputs averaged (:meth:`dnalm.tasks.Task.average`): a classifier's logits come out as the
    log of the mean class probabilities, so softmax of them is the members' mean probability.

    ``members``: trained models to hold (their weights are used as they are); without it the members are built
    from the config (``from_pretrained`` then loads their weights)."""

    config_class = EnsembleConfig
    base_model_prefix = "members"
    main_input_name = "input_ids"
    _no_split_modules: ClassVar[list[str]] = []

    def __init__(self, config: EnsembleConfig, members: list[PreTrainedModel] | None = None):
        super().__init__(config)
        if members is None:
            from transformers import AutoModelForSequenceClassification

            members = [AutoModelForSequenceClassification.from_config(c) for c in config.member_configs()]
        if len(members) != len(config.members):
            raise ValueError(f"the config names {len(config.members)} members; got {len(members)} models")
        self.members = nn.ModuleList(members)
        self.post_init()

    @classmethod
    def of(cls, models: list[PreTrainedModel]) -> EnsembleForSequenceClassification:
        """The average of trained ``models`` (two or more, with the same labels and task)."""
        if len(models) < 2:
            raise ValueError(f"an ensemble averages two or more models; got {len(models)}")
        first = models[0].config
        for m in models[1:]:
            if m.config.id2label != first.id2label or m.config.problem_type != first.problem_type:
                raise ValueError("the models of an ensemble must have the same labels and problem type")
        config = EnsembleConfig(
            members=[m.config.to_dict() for m in models],
            id2label=first.id2label,
            label2id=first.label2id,
            problem_type=first.problem_type,
            pad_token_id=first.pad_token_id,
        )
        return cls(config, members=list(models))

    def _init_weights(self, module):
        """Nothing: each member initialised its own weights when it was built (a loaded ensemble's come from the
        file), and the ensemble adds none."""

    def get_input_embeddings(self):
        """The first member's learned token embedding, if it has one (a one-hot CNN has none)."""
        return self.members[0].get_input_embeddings()

    def forward(self, input_ids, attention_mask=None, labels=None, token_type_ids=None, return_dict=None, **kwargs):
        task = get_task(self.config.problem_type or DEFAULT_TASK)
        logits = task.average(
            [m(input_ids=input_ids, attention_mask=attention_mask, **kwargs).logits for m in self.members]
        )
        loss = None if labels is None else task.loss(logits, labels, self.config.num_labels)
        return SequenceClassifierOutput(loss=loss, logits=logits)
