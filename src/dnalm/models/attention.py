"""Self-attention over a CNN's feature map, so a classifier sees where its motifs sit at fine resolution.

The recipe's CNN (``pos-cnn``) sees 39 bases at a time and, through its positional head, only which of a few
equal parts of a sequence a feature fired in. A few transformer-encoder layers over its feature map, max-pooled
a few times shorter and given learned absolute positions, relate every position to every other and to where it
stands (a conv-transformer, as Enformer and Borzoi are), at a small cost: attention runs on 1/``pool`` of the
positions. The layers keep the CNN's width, so the pooled head after them is the one without them.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["FeatureAttention"]


class _EncoderLayer(nn.Module):
    """A pre-norm transformer-encoder layer: multi-head self-attention and a GELU feed-forward, each residual."""

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        if width % heads:
            raise ValueError(f"attention_heads ({heads}) must divide the CNN's channels ({width})")
        self.heads, self.dropout = heads, dropout
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.out = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.ff = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, h, keys):
        """``h``: (batch, positions, width); ``keys``: (batch, 1, 1, positions) True where attended, or None."""
        b, n, w = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        p = self.dropout if self.training else 0.0
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=keys, dropout_p=p)
        h = h + F.dropout(self.out(a.transpose(1, 2).reshape(b, n, w)), p, self.training)
        return h + F.dropout(self.ff(self.norm2(h)), p, self.training)


class FeatureAttention(nn.Module):
    """Max-pool a (batch, channels, positions) feature map ``pool`` times shorter, add learned absolute
    positions and run ``layers`` encoder layers over it; padding is never attended to and comes out zero.

    Args:
        channels: the feature map's channels (the layers' width).
        layers, heads: encoder layers and attention heads (``heads`` divides ``channels``).
        pool: max-pooling width before attention (1: every position).
        positions: learned positions after pooling: the longest input is ``positions * pool`` of the map's.
        dropout: on attention weights and each residual branch.
    """

    def __init__(self, channels: int, layers: int, heads: int, pool: int, positions: int, dropout: float):
        super().__init__()
        self.pool = nn.MaxPool1d(pool, ceil_mode=True) if pool > 1 else None
        self.positions = nn.Embedding(positions, channels)
        self.layers = nn.ModuleList(_EncoderLayer(channels, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(channels)

    def forward(self, z, mask, full: bool):
        """(batch, channels, positions) features with padding zeroed and their (batch, positions) mask ->
        the attended features and the (pooled) mask. ``full``: no padding anywhere in the batch."""
        if self.pool is not None:
            z = self.pool(z)  # the features are >= 0 and zero on padding, so padding never wins a max
            # the mask pooled by the function, not the module: DeepLift hooks the module's inputs, and the mask has no
            # gradient ("cannot register a hook on a tensor that doesn't require gradient")
            size = self.pool.kernel_size
            mask = (F.max_pool1d(mask[:, None, :].to(z.dtype), size, size, ceil_mode=True)[:, 0] > 0).long()
        n = z.shape[-1]
        if n > self.positions.num_embeddings:
            raise ValueError(
                f"the attention layers have {self.positions.num_embeddings} positions and this input needs {n}; "
                "predict() cuts longer sequences into windows"
            )
        h = z.transpose(1, 2) + self.positions.weight[:n]
        keys = None if full else mask.bool()[:, None, None, :]
        for layer in self.layers:
            h = layer(h, keys)
        h = self.norm(h)
        if not full:
            h = h * mask[..., None].to(h.dtype)
        return h.transpose(1, 2), mask


def init_attention_weights(module: nn.Module) -> bool:
    """Initialise a module of :class:`FeatureAttention` (layer norms, position table); True if it was one."""
    if isinstance(module, nn.LayerNorm):
        module.reset_parameters()
        return True
    if isinstance(module, nn.Embedding):
        with torch.no_grad():
            nn.init.normal_(module.weight, std=0.02)
        return True
    return False
