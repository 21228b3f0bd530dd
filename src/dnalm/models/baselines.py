"""CNN and LSTM baselines as Hugging Face ``PreTrainedModel``s on single-base tokens.

They take ``input_ids``/``attention_mask``/``labels`` like any transformers classifier
and return ``SequenceClassifierOutput``, so training, evaluation and prediction never
branch on the model type. Tokens are read as one-hot bases (or a learned embedding for
the Genomic Benchmarks CNN, as in its paper); padding is re-masked after every block so
a sequence's output does not depend on what else is in its batch. During training each
sequence is reverse-complemented with probability ``rc_augment`` (0.5 by default), and with
``shift_augment = s`` moved by a random whole number of bases in [-s, s] (bases pushed past an end
are dropped, the gap is filled with N), so the model does not tie a motif to one exact position.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import MaskedLMOutput, SequenceClassifierOutput

from dnalm.models.attention import FeatureAttention, init_attention_weights
from dnalm.tasks import DEFAULT_TASK, get_task

__all__ = [
    "DilatedCnnConfig",
    "DilatedCnnForSequenceClassification",
    "DnaBaselineConfig",
    "GbCnnConfig",
    "GbCnnForSequenceClassification",
    "LstmConfig",
    "LstmForSequenceClassification",
    "PosCnnConfig",
    "PosCnnForMaskedLM",
    "PosCnnForSequenceClassification",
    "sequence_classification_loss",
]


def sequence_classification_loss(logits, labels, problem_type: str | None, num_labels: int):
    """The loss transformers' ``*ForSequenceClassification`` models use, for any head: the task's."""
    return get_task(problem_type or DEFAULT_TASK).loss(logits, labels, num_labels)


class DnaBaselineConfig(PretrainedConfig):
    """Shared settings: the token vocabulary and how tokens map to bases.

    Args:
        vocab_size: tokenizer vocabulary size.
        base_token_ids: ids of A, C, G, T (one-hot channels 0..3).
        ambiguous_token_ids: ids read as "any base" (0.25 on each channel), e.g. N, [UNK].
        complement_ids: id -> id of the complementary token (for reverse-complement augmentation).
        rc_augment: probability of reverse-complementing each training sequence.
        shift_augment: largest random shift (bases) of each training sequence; 0 disables it.
    """

    def __init__(
        self,
        vocab_size: int = 10,
        base_token_ids=(5, 6, 7, 8),
        ambiguous_token_ids=(1, 4, 9),
        complement_ids=None,
        rc_augment: float = 0.5,
        dropout: float = 0.2,
        pad_token_id: int = 0,
        shift_augment: int = 0,
        **kwargs,
    ):
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        self.vocab_size = vocab_size
        self.base_token_ids = list(base_token_ids)
        self.ambiguous_token_ids = list(ambiguous_token_ids)
        if complement_ids is None:
            complement_ids = list(range(vocab_size))
            if len(self.base_token_ids) == 4 and all(  # else check_settings names what is wrong with them
                isinstance(i, int) and 0 <= i < vocab_size for i in self.base_token_ids
            ):
                a, c, g, t = self.base_token_ids
                complement_ids[a], complement_ids[t], complement_ids[c], complement_ids[g] = t, a, g, c
        self.complement_ids = list(complement_ids)
        self.rc_augment = rc_augment
        self.shift_augment = _whole_if_integral(shift_augment)
        self.dropout = dropout

    #: settings that count something, with the least value each may take (checked by :meth:`check_settings`)
    count_settings: ClassVar[dict[str, int]] = {"vocab_size": 1, "shift_augment": 0}
    #: settings that are lists of counts (each at least 1)
    count_list_settings: ClassVar[tuple[str, ...]] = ()
    #: convolution widths, odd so that the output keeps the input's length (the residual sums need it)
    odd_settings: ClassVar[tuple[str, ...]] = ()

    def check_settings(self) -> None:
        """Refuse a setting no model can be built with, in one sentence naming it (torch would stop deep
        inside with a tensor of negative size, or build a model that cannot run)."""
        for name, least in self.count_settings.items():
            _check_count(name, getattr(self, name), least)
        for name in self.count_list_settings:
            values = getattr(self, name)
            if not isinstance(values, list | tuple) or isinstance(values, str):
                raise ValueError(f"architecture setting {name} must be a list of whole numbers; got {values!r}")
            for value in values:
                _check_count(name, value, 1)
        for name in self.odd_settings:
            if getattr(self, name) % 2 == 0:
                raise ValueError(
                    f"architecture setting {name} must be odd, for the output to keep the input's length; "
                    f"got {getattr(self, name)}"
                )
        for name in ("dropout", "rc_augment"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"architecture setting {name} must be a number from 0 to 1; got {value!r}")
        for name in ("base_token_ids", "ambiguous_token_ids", "complement_ids"):  # an IndexError in every command
            ids = getattr(self, name, None)
            if ids is None:
                continue
            if not isinstance(ids, list | tuple) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids
            ):
                raise ValueError(f"{name} must be a list of token ids; got {ids!r}")
            if outside := [i for i in ids if not 0 <= i < self.vocab_size]:
                raise ValueError(
                    f"{name}: token id {outside[0]} is outside 0..{self.vocab_size - 1} (vocab_size {self.vocab_size})"
                )
        if len(self.base_token_ids) != 4:
            raise ValueError(
                f"base_token_ids must name the 4 bases' token ids (A, C, G, T); got {self.base_token_ids!r}"
            )
        if len(self.complement_ids) != self.vocab_size:
            raise ValueError(
                f"complement_ids must give each of the {self.vocab_size} tokens its complement; got {len(self.complement_ids)}"
            )


def _whole_if_integral(value):
    """``value`` as an int where it is a whole number written as a float (2.0 from a search); as given otherwise,
    for :meth:`DnaBaselineConfig.check_settings` to name."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _check_count(name: str, value, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"architecture setting {name} must be a whole number of at least {least}; got {value!r}")


class _BaselineModel(PreTrainedModel):
    """Embedding, reverse-complement augmentation and the classification loss."""

    base_model_prefix = "body"
    main_input_name = "input_ids"
    _no_split_modules: ClassVar[list[str]] = []

    def __init__(self, config: DnaBaselineConfig, learned_embedding: int = 0):
        config.check_settings()
        super().__init__(config)
        self._tables: tuple | None = None
        self.embed = nn.Embedding(config.vocab_size, learned_embedding) if learned_embedding else None
        self.in_channels = learned_embedding or 4

    def get_input_embeddings(self):
        """The learned token embedding, or None: most baselines read tokens as one-hot bases."""
        return self.embed

    def _init_weights(self, module):
        if isinstance(module, nn.Conv1d | nn.Linear):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def _lookup(self, device):
        """One-hot and complement tables, built from the config on first use.

        Not buffers: transformers 5 builds models on the meta device, and buffers that are
        not in the checkpoint would come back uninitialised after ``from_pretrained``.
        """
        if self._tables is None or self._tables[0].device != device:
            onehot = torch.zeros(self.config.vocab_size, 4, device=device)
            for channel, idx in enumerate(self.config.base_token_ids):
                onehot[idx, channel] = 1.0
            onehot[self.config.ambiguous_token_ids] = 0.25
            self._tables = (onehot, torch.tensor(self.config.complement_ids, device=device))
        return self._tables

    def _reverse_complement(self, input_ids, mask):
        """Reverse-complement a random subset of rows, keeping [CLS]/[SEP] and padding in place."""
        flip = torch.rand(input_ids.shape[0], device=input_ids.device) < self.config.rc_augment
        if not flip.any():
            return input_ids
        length = mask.sum(dim=1, keepdim=True)
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        inner = (pos >= 1) & (pos <= length - 2)
        src = torch.where(inner, length - 1 - pos, pos)
        rc = self._lookup(input_ids.device)[1][torch.gather(input_ids, 1, src)]
        return torch.where(flip[:, None], rc, input_ids)

    def _shift(self, input_ids, mask):
        """Move each row's bases by a random offset in [-shift_augment, shift_augment] between its
        [CLS] and [SEP]; bases moved past an end are dropped and the gap is filled with N."""
        most = self.config.shift_augment
        offset = torch.randint(-most, most + 1, (input_ids.shape[0], 1), device=input_ids.device)
        length = mask.sum(dim=1, keepdim=True)
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        inner = (pos >= 1) & (pos <= length - 2)
        src = pos - offset
        keep = inner & (src >= 1) & (src <= length - 2)
        moved = torch.gather(input_ids, 1, src.clamp(0, input_ids.shape[1] - 1))
        fill = torch.full_like(input_ids, self.config.ambiguous_token_ids[0])
        return torch.where(keep, moved, torch.where(inner, fill, input_ids))

    def forward(self, input_ids, attention_mask=None, labels=None, token_type_ids=None, return_dict=None, **kwargs):
        mask = attention_mask if attention_mask is not None else (input_ids != self.config.pad_token_id).long()
        if self.training and self.config.rc_augment > 0:
            input_ids = self._reverse_complement(input_ids, mask)
        if self.training and self.config.shift_augment > 0:
            input_ids = self._shift(input_ids, mask)
        x = self.embed(input_ids) if self.embed is not None else self._lookup(input_ids.device)[0][input_ids]
        x = x * mask[..., None].to(x.dtype)
        heads = self.body(x.transpose(1, 2), mask)
        heads = heads if isinstance(heads, tuple) else (heads,)  # several heads: the output is their mean
        logits = heads[0] if len(heads) == 1 else torch.stack(heads).mean(0)
        loss = None
        if labels is not None:  # in training each head learns on its own loss (else one could lean on another)
            scored = heads if self.training else (logits,)
            loss = sum(
                sequence_classification_loss(h, labels, self.config.problem_type, self.config.num_labels)
                for h in scored
            ) / len(scored)
        return SequenceClassifierOutput(loss=loss, logits=logits)


def _masked_pool(x, mask, full: bool = False):
    """Concatenate the masked max and mean over length: (batch, channels, L) -> (batch, 2*channels).
    ``full``: the caller knows no position is padding, so the masking (the same result) is skipped."""
    if full:
        return torch.cat([x.amax(-1), x.sum(-1) / x.shape[-1]], dim=1)
    m = mask[:, None, :].to(x.dtype)
    mean = (x * m).sum(-1) / m.sum(-1).clamp(min=1)
    mx = x.masked_fill(m == 0, torch.finfo(x.dtype).min).amax(-1)
    return torch.cat([mx, mean], dim=1)


class ByteDropout(nn.Module):
    """``nn.Dropout`` whose keep mask is drawn as random bytes, eight from each 64-bit draw of torch's
    generator, instead of one float per element: on a CPU, ``nn.Dropout``'s element-wise draws on a
    CNN's activation map are a large share of a step (``bench/cnn_step.py``: a ``pos-cnn`` step is
    about 10% faster in fp32 and 15% under bf16 with this). ``p`` is rounded to a multiple of 1/256
    (0.2 -> 0.199)."""

    def __init__(self, p: float):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability must be in [0, 1]; got {p}")
        self.threshold = round(p * 256)
        self.p = self.threshold / 256

    def forward(self, x):
        if not self.training or self.threshold == 0:
            return x
        if self.threshold >= 256:
            return x * 0
        n = x.numel()
        info = torch.iinfo(torch.int64)
        draws = torch.randint(info.min, info.max, ((n + 7) // 8,), dtype=torch.int64, device=x.device)
        keep = draws.view(torch.uint8)[:n].view(x.shape) >= self.threshold
        return x * keep.to(x.dtype).mul_(1 / (1 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _head(in_features: int, hidden: int, num_labels: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(in_features, hidden),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, num_labels),
    )


# -- dilated residual CNN ---------------------------------------------------------------------------------
class DilatedCnnConfig(DnaBaselineConfig):
    model_type = "dnalm-dilated-cnn"
    count_settings: ClassVar[dict[str, int]] = {
        **DnaBaselineConfig.count_settings,
        "channels": 1,
        "kernel_size": 1,
        "hidden_size": 1,
    }
    count_list_settings = ("dilations",)
    odd_settings = ("kernel_size",)

    def __init__(
        self, channels: int = 128, kernel_size: int = 9, dilations=(1, 2, 4, 8, 16), hidden_size: int = 128, **kwargs
    ):
        super().__init__(**kwargs)
        self.channels, self.kernel_size, self.dilations, self.hidden_size = (
            channels,
            kernel_size,
            list(dilations) if isinstance(dilations, list | tuple) else dilations,
            hidden_size,
        )


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int, dilation: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm1d(channels),
            nn.GELU(),
            nn.Conv1d(channels, channels, 3, dilation=dilation, padding=dilation),
            nn.BatchNorm1d(channels),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Conv1d(channels, channels, 1),
        )

    def forward(self, x, m):
        # padding is zeroed again after the first normalisation, before the dilated convolution reads it: a trained
        # BatchNorm turns zeros into its shift, and a short sequence's score then depended on the batch beside it
        n = self.net
        h = n[2](n[1](n[0](x)) * m)
        return (x + n[6](n[5](n[4](n[3](h))))) * m


class _DilatedBody(nn.Module):
    def __init__(self, config: DilatedCnnConfig, in_channels: int):
        super().__init__()
        self.stem = nn.Conv1d(in_channels, config.channels, config.kernel_size, padding=config.kernel_size // 2)
        self.blocks = nn.ModuleList(_ResidualBlock(config.channels, d, config.dropout) for d in config.dilations)
        self.norm = nn.BatchNorm1d(config.channels)
        self.head = _head(2 * config.channels, config.hidden_size, config.num_labels, config.dropout)

    def forward(self, x, mask):
        m = mask[:, None, :].to(x.dtype)
        x = self.stem(x) * m
        for block in self.blocks:
            x = block(x, m)
        return self.head(_masked_pool(nn.functional.gelu(self.norm(x)) * m, mask))


class DilatedCnnForSequenceClassification(_BaselineModel):
    """A dilated residual CNN (receptive field ~70 bp with the defaults) with max+mean pooling."""

    config_class = DilatedCnnConfig

    def __init__(self, config: DilatedCnnConfig):
        super().__init__(config)
        self.body = _DilatedBody(config, self.in_channels)
        self.post_init()


# -- Genomic Benchmarks CNN -------------------------------------------------------------------------------
class GbCnnConfig(DnaBaselineConfig):
    """The baseline CNN of the Genomic Benchmarks paper (Gresova et al. 2023): character embedding,
    three Conv1d(kernel 8) + BatchNorm + MaxPool(2) blocks, flatten, Dense(512), Dense(num_labels).
    Its flatten layer fixes the input length (``input_length`` tokens, at least the 57 its three
    conv+pool stages need; shorter input is right-padded)."""

    model_type = "dnalm-gb-cnn"
    min_input_length = 57
    count_settings: ClassVar[dict[str, int]] = {
        **DnaBaselineConfig.count_settings,
        "input_length": 1,
        "embedding_dim": 1,
    }

    def __init__(self, input_length: int = 256, embedding_dim: int = 100, **kwargs):
        super().__init__(**kwargs)
        if isinstance(input_length, int) and not isinstance(input_length, bool):
            input_length = max(input_length, self.min_input_length)
        self.input_length, self.embedding_dim = input_length, embedding_dim


class _GbBody(nn.Module):
    def __init__(self, config: GbCnnConfig, in_channels: int):
        super().__init__()
        self.length = config.input_length
        self.convs = nn.Sequential(
            nn.Conv1d(in_channels, 16, 8),
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 8, 8),
            nn.BatchNorm1d(8),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(8, 4, 8),
            nn.BatchNorm1d(4),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Flatten(),
        )
        with torch.no_grad():
            flat = self.convs.eval()(torch.zeros(1, in_channels, self.length)).shape[1]
        self.dense = nn.Sequential(
            nn.Linear(flat, 512), nn.ReLU(), nn.Dropout(config.dropout), nn.Linear(512, config.num_labels)
        )

    def forward(self, x, mask):
        if x.shape[-1] > self.length:
            raise ValueError(
                f"the GB CNN takes at most {self.length} tokens; got {x.shape[-1]} "
                "(predict() cuts longer sequences into windows)"
            )
        x = nn.functional.pad(x, (0, self.length - x.shape[-1]))
        return self.dense(self.convs(x))


class GbCnnForSequenceClassification(_BaselineModel):
    config_class = GbCnnConfig

    def __init__(self, config: GbCnnConfig):
        super().__init__(config, learned_embedding=config.embedding_dim)
        self.body = _GbBody(config, self.in_channels)
        self.post_init()


# -- BiLSTM -----------------------------------------------------------------------------------------------
class LstmConfig(DnaBaselineConfig):
    model_type = "dnalm-lstm"
    count_settings: ClassVar[dict[str, int]] = {**DnaBaselineConfig.count_settings, "hidden_size": 1, "num_layers": 1}

    def __init__(self, hidden_size: int = 128, num_layers: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size, self.num_layers = hidden_size, num_layers


class _LstmBody(nn.Module):
    def __init__(self, config: LstmConfig, in_channels: int):
        super().__init__()
        self.lstm = nn.LSTM(
            in_channels,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            bidirectional=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.head = _head(4 * config.hidden_size, config.hidden_size, config.num_labels, config.dropout)

    def forward(self, x, mask):
        lengths = mask.sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(x.transpose(1, 2), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[-1])
        return self.head(_masked_pool(out.transpose(1, 2), mask))


class LstmForSequenceClassification(_BaselineModel):
    """A bidirectional LSTM over one-hot bases (packed, so padding is never read), max+mean pooled."""

    config_class = LstmConfig

    def __init__(self, config: LstmConfig):
        super().__init__(config)
        self.body = _LstmBody(config, self.in_channels)
        self.post_init()


# -- position-aware CNN (the default recipe's model) -------------------------------------------------------
class PosCnnConfig(DnaBaselineConfig):
    """A small residual CNN whose head sees both *what* it found (max and mean over the whole
    sequence) and *where* (the mean of a few projected channels in ``position_bins`` equal parts
    of each sequence), so it can use motif positions in aligned data (promoters around a
    transcription start site) as a transformer's position embeddings can, at a CNN's cost.

    Args:
        channels: convolution width.
        stem_kernel: width of the first (motif) convolution.
        pool: max-pooling width after the stem (the later convolutions run on 1/pool of the positions).
        kernel_size, dilations: the residual convolutions after the stem.
        position_bins: parts of the sequence pooled separately (0 disables the positional head).
        position_channels: channels projected for the positional head.
        fine_position_bins: a second positional head with this many (finer) parts, beside the first (0, the
            default: none). The two heads share the convolutions; each is trained on its own loss and the model's
            output is the mean of their logits, so one model reads positions at two resolutions (the coarse head
            holds where finer bins would overfit, the fine one resolves sites a few bases apart). With class
            weights (``class_weights``) training scores the mean instead: the weighted loss sees the output only.
        attention_layers: transformer-encoder layers between the convolutions and the head
            (:class:`dnalm.models.attention.FeatureAttention`; 0, the default, adds none).
        attention_heads, attention_pool, attention_positions: their heads, the max-pooling before them, and
            their learned absolute positions (after pooling: the model takes ``positions * attention_pool * pool`` tokens).
    """

    model_type = "dnalm-pos-cnn"
    #: Settings that only add modules after the convolutions: a checkpoint without them still starts the rest.
    extension_settings = ("attention_layers", "attention_heads", "attention_pool", "attention_positions")
    #: Settings of the sequence-level head alone: a checkpoint without that head (the masked-base model, whose
    #: classifier head is always new) still starts everything else.
    head_settings = ("position_bins", "position_channels", "fine_position_bins")
    count_settings: ClassVar[dict[str, int]] = {
        **DnaBaselineConfig.count_settings,
        **dict.fromkeys(("channels", "stem_kernel", "pool", "kernel_size", "position_channels"), 1),
        **dict.fromkeys(("attention_heads", "attention_pool", "attention_positions"), 1),
        "position_bins": 0,
        "fine_position_bins": 0,
        "attention_layers": 0,
    }
    count_list_settings = ("dilations",)
    odd_settings = ("stem_kernel", "kernel_size")

    def __init__(
        self,
        channels: int = 128,
        stem_kernel: int = 15,
        pool: int = 1,
        kernel_size: int = 5,
        dilations=(2, 4),
        position_bins: int = 8,
        position_channels: int = 32,
        fine_position_bins: int = 0,
        attention_layers: int = 0,
        attention_heads: int = 4,
        attention_pool: int = 4,
        attention_positions: int = 512,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.channels, self.stem_kernel, self.kernel_size, self.pool = channels, stem_kernel, kernel_size, pool
        self.dilations = list(dilations) if isinstance(dilations, list | tuple) else dilations
        self.position_bins, self.position_channels = position_bins, position_channels
        self.fine_position_bins = fine_position_bins
        self.attention_layers, self.attention_heads = map(_whole_if_integral, (attention_layers, attention_heads))
        self.attention_pool, self.attention_positions = map(_whole_if_integral, (attention_pool, attention_positions))
        self.check_settings()  # the positions below are counted from these
        if self.attention_layers:  # the longest input, in tokens (model_max_tokens reads it)
            self.max_position_embeddings = self.attention_positions * self.attention_pool * max(pool, 1)

    def check_settings(self) -> None:
        super().check_settings()
        if self.fine_position_bins and not self.position_bins:
            raise ValueError(
                f"architecture setting fine_position_bins ({self.fine_position_bins}) is a second positional head "
                "beside position_bins's; position_bins must be at least 1"
            )
        if self.attention_layers and self.channels % self.attention_heads:
            raise ValueError(
                f"architecture setting attention_heads ({self.attention_heads}) must divide channels ({self.channels})"
            )


def _conv_bn_relu(c_in: int, c_out: int, kernel: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, kernel, padding=dilation * (kernel // 2), dilation=dilation),
        nn.BatchNorm1d(c_out),
        nn.ReLU(),
    )


def _bin_weights(mask, bins: int):
    """(batch, L, bins) weights that average each sequence's own positions into ``bins`` equal parts.

    >>> _bin_weights(torch.tensor([[1, 1, 1, 1, 0, 0]]), 2)[0].tolist()
    [[0.5, 0.0], [0.5, 0.0], [0.0, 0.5], [0.0, 0.5], [0.0, 0.0], [0.0, 0.0]]
    """
    length = mask.sum(1, keepdim=True).clamp(min=1)
    pos = torch.arange(mask.shape[1], device=mask.device)[None, :]
    which = torch.div(pos * bins, length, rounding_mode="floor").clamp(max=bins - 1)
    onehot = nn.functional.one_hot(which, bins).to(torch.float32) * mask[..., None].to(torch.float32)
    return onehot / onehot.sum(1, keepdim=True).clamp(min=1)


class _PosCnnBody(nn.Module):
    """The stem and residual convolutions (``features``), and unless ``classifier`` is False the
    sequence-level head: max and mean over positions, and the positional bins."""

    def __init__(self, config: PosCnnConfig, in_channels: int, classifier: bool = True):
        super().__init__()
        c = config.channels
        self.stem = _conv_bn_relu(in_channels, c, config.stem_kernel)
        self.pool = nn.MaxPool1d(config.pool, ceil_mode=True) if config.pool > 1 else None
        self.blocks = nn.ModuleList(_conv_bn_relu(c, c, config.kernel_size, d) for d in config.dilations)
        self.dropout = ByteDropout(config.dropout)
        self.bins = config.position_bins
        self.attention = None
        if config.attention_layers:  # the masked-base model has them too, so a classifier starts from them
            self.attention = FeatureAttention(
                c,
                config.attention_layers,
                config.attention_heads,
                config.attention_pool,
                config.attention_positions,
                config.dropout,
            )
        if not classifier:
            return
        features = 2 * c
        if self.bins:
            self.project = nn.Conv1d(c, config.position_channels, 1)
            features += config.position_channels * self.bins
        self.head = nn.Linear(features, config.num_labels)
        self.fine_bins = config.fine_position_bins
        if self.fine_bins:
            self.fine_project = nn.Conv1d(c, config.position_channels, 1)
            self.fine_head = nn.Linear(2 * c + config.position_channels * self.fine_bins, config.num_labels)

    def features(self, x, mask):
        """(batch, channels, positions) after the residual convolutions, padding zeroed; the mask
        (pooled when ``pool`` > 1) and whether it has no padding at all."""
        # A batch without padding (sequences of one length, as in most benchmark sets) skips the masking:
        # multiplying by ones and masking nothing give bit-identical numbers, and the step is faster
        # (bench/cnn_step.py: 5-8% in fp32, about 20% under bf16 autocast).
        full = bool(mask.all())
        m = mask[:, None, :].to(x.dtype)
        z = self.stem(x)
        if not full:
            z = z * m  # after ReLU, so padding (0) never wins a max-pool
        if self.pool is not None:
            z, m = self.pool(z), self.pool(m)
            mask = (m[:, 0] > 0).long()
        for block in self.blocks:
            z = z + block(z)
            if not full:
                z = z * m
        return self.dropout(z), mask, full

    def forward(self, x, mask):
        """The logits; with ``fine_position_bins`` a tuple of both heads' (the model averages them)."""
        z, mask, full = self.features(x, mask)
        if self.attention is not None:
            z, mask = self.attention(z, mask, full)
        pooled = _masked_pool(z, mask, full)
        if not self.bins:
            return self.head(pooled)
        logits = self.head(torch.cat([pooled, _binned(self.project(z), mask, self.bins)], dim=1))
        if not self.fine_bins:
            return logits
        return logits, self.fine_head(torch.cat([pooled, _binned(self.fine_project(z), mask, self.fine_bins)], dim=1))


def _binned(z, mask, bins: int):
    """(batch, channels * bins): the mean of each channel in each of ``bins`` equal parts of every sequence."""
    return torch.bmm(z, _bin_weights(mask, bins).to(z.dtype)).flatten(1)


class PosCnnForSequenceClassification(_BaselineModel):
    config_class = PosCnnConfig

    def _init_weights(self, module):
        # PyTorch's own initialisation (uniform, gain 1/sqrt(3)): with batch norm after every convolution the
        # weights' scale sets the effective learning rate, and He-normal weights (2.4x larger) train slower.
        if isinstance(module, nn.Conv1d | nn.Linear | nn.BatchNorm1d):
            module.reset_parameters()
        else:
            init_attention_weights(module)

    def __init__(self, config: PosCnnConfig):
        super().__init__(config)
        self.body = _PosCnnBody(config, self.in_channels)
        self.post_init()


class PosCnnForMaskedLM(_BaselineModel):
    """The default recipe's CNN trained to fill in masked bases: the classifier's stem and residual
    convolutions with a per-position token head instead of the sequence-level one, so that
    ``PosCnnForSequenceClassification.from_pretrained`` of its folder starts from the pretrained
    convolutions (with a new head). A masked base is read as "any base" (0.25 on each channel),
    as N is. No strand or shift augmentation here: the labels are the bases where they stand.
    With ``attention_layers`` the attention layers' output (max-pooled ``attention_pool`` times shorter)
    is repeated back to every position and added to the convolutions' features before the token head;
    the classifier starts from those layers too.
    """

    config_class = PosCnnConfig
    _init_weights = PosCnnForSequenceClassification._init_weights

    def __init__(self, config: PosCnnConfig):
        super().__init__(config)
        if config.pool > 1:
            raise ValueError(f"a masked-base model predicts every position; pool must be 1, not {config.pool}")
        self.body = _PosCnnBody(config, self.in_channels, classifier=False)
        self.lm_head = nn.Conv1d(config.channels, config.vocab_size, 1)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, labels=None, token_type_ids=None, return_dict=None, **kwargs):
        mask = attention_mask if attention_mask is not None else (input_ids != self.config.pad_token_id).long()
        x = self._lookup(input_ids.device)[0][input_ids] * mask[..., None].to(torch.float32)
        z, _, full = self.body.features(x.transpose(1, 2), mask)
        if self.body.attention is not None:  # context from the whole window, at 1/pool resolution, added per base
            attended, _ = self.body.attention(z, mask, full)
            z = z + attended.repeat_interleave(self.config.attention_pool, dim=-1)[..., : z.shape[-1]]
        logits = self.lm_head(z).transpose(1, 2)  # (batch, positions, vocabulary)
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1))
        return MaskedLMOutput(loss=loss, logits=logits)


def check_saved_settings(config: dict, path) -> None:
    """Refuse a saved ``config.json`` of one of these models whose settings no model can be built with,
    naming the file (see :meth:`DnaBaselineConfig.check_settings`)."""
    if config.get("model_type") == "dnalm-ensemble":  # each member's settings, named by its place
        members = config.get("members")
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members) or len(members) < 2:
            raise ValueError(f"{path}: an ensemble's members must be a list of two or more model configs")
        for i, member in enumerate(members):
            check_saved_settings(member, f"{path} (member {i})")
        return
    classes = {c.model_type: c for c in (DilatedCnnConfig, GbCnnConfig, LstmConfig, PosCnnConfig)}
    cls = classes.get(config.get("model_type"))
    if cls is None:
        return
    try:
        cls.from_dict(config).check_settings()
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from None
