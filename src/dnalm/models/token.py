"""Per-nucleotide classification (or regression) with an overlapping k-mer BERT (DNABERT).

A k-mer model sees L-k+1 tokens for L bases. ``BertForNucleotideClassification`` scores
every k-mer token and gives each base the mean of the scores of the (up to k) k-mers
that cover it, so logits and labels are per base: shape ``(batch, bases, num_labels)``.
Its parameters are named as in ``transformers.BertForTokenClassification`` (``bert.*``,
``classifier.*``), so plain transformers loads the same weights (with k-mer-level output).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig, BertModel, BertPreTrainedModel
from transformers.modeling_outputs import TokenClassifierOutput

from dnalm.tasks import task_of

__all__ = ["BertForNucleotideClassification", "kmer_to_base_logits"]


def kmer_to_base_logits(kmer_logits: torch.Tensor, n_kmers: torch.Tensor, k: int) -> torch.Tensor:
    """Average the logits of the k-mers covering each base.

    Args:
        kmer_logits: ``(batch, T, C)`` logits of k-mer tokens (no [CLS]); positions at or
            beyond ``n_kmers`` are ignored.
        n_kmers: ``(batch,)`` number of real k-mers per row.
        k: k-mer length.

    Returns:
        ``(batch, T + k - 1, C)``; row i is valid for its first ``n_kmers[i] + k - 1`` bases.

    >>> logits = torch.tensor([[[1.0], [3.0], [5.0]]])  # 3 k-mers of k=2 cover 4 bases
    >>> kmer_to_base_logits(logits, torch.tensor([3]), 2)[0, :, 0].tolist()
    [1.0, 2.0, 4.0, 5.0]
    """
    _, width, _ = kmer_logits.shape
    pos = torch.arange(width, device=kmer_logits.device)[None, :]
    valid = (pos < n_kmers[:, None]).to(kmer_logits.dtype)[..., None]
    csum = torch.nn.functional.pad(torch.cumsum(kmer_logits * valid, dim=1), (0, 0, 1, 0))
    bases = torch.arange(width + k - 1, device=kmer_logits.device)[None, :]
    last = torch.minimum(bases, (n_kmers[:, None] - 1).clamp(min=0))
    first = (bases - k + 1).clamp(min=0)
    first = torch.minimum(first, last)
    total = torch.gather(csum, 1, (last + 1)[..., None].expand(-1, -1, csum.shape[-1])) - torch.gather(
        csum, 1, first[..., None].expand(-1, -1, csum.shape[-1])
    )
    count = (last - first + 1).clamp(min=1).to(kmer_logits.dtype)[..., None]
    return total / count


class BertForNucleotideClassification(BertPreTrainedModel):
    """BERT over overlapping k-mers with one prediction per nucleotide.

    ``labels``: ``(batch, bases)`` class ids (or values, for per-base regression), -100 where not
    scored (padding). The config needs ``kmer_k`` (the tokenizer's k); the loss is its task's
    (``dnalm.tasks.task_of``).
    """

    config_class = BertConfig

    def __init__(self, config: BertConfig):
        super().__init__(config)
        if not getattr(config, "kmer_k", None):
            raise ValueError("BertForNucleotideClassification needs config.kmer_k (the k of the k-mer tokenizer)")
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.classifier_dropout or config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
        mask = attention_mask if attention_mask is not None else torch.ones_like(input_ids)
        hidden = self.bert(input_ids=input_ids, attention_mask=mask, token_type_ids=token_type_ids).last_hidden_state
        kmer_logits = self.classifier(self.dropout(hidden[:, 1:]))  # drop [CLS]; [SEP]/padding masked below
        n_kmers = mask.sum(dim=1) - 2
        logits = kmer_to_base_logits(kmer_logits, n_kmers, self.config.kmer_k)
        loss = None
        if labels is not None:
            width = min(labels.shape[1], logits.shape[1])
            if labels.shape[1] > logits.shape[1] and (labels[:, width:] != -100).any():
                raise ValueError(f"labels cover {labels.shape[1]} bases but the input holds {logits.shape[1]}")
            loss = task_of(self.config).loss(logits[:, :width], labels[:, :width], self.num_labels)
        return TokenClassifierOutput(loss=loss, logits=logits)
