"""Helpers for testing code that loads DNA language models offline."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_dnabert_checkpoint", "write_nucleotide_transformer_checkpoint"]


def write_dnabert_checkpoint(path: str | Path, k: int = 6, weights: str = "safetensors") -> Path:
    """A tiny BERT masked-LM in DNABERT's release layout: config.json, vocab.txt,
    tokenizer_config.json (with DNABERT's do_lower_case: true) and weights; no tokenizer.json."""
    import json

    import torch
    from transformers import BertConfig, BertForMaskedLM

    from dnalm.tokenizers.dna import kmer_vocab

    path = Path(path)
    torch.manual_seed(0)
    vocab = kmer_vocab(k)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    model = BertForMaskedLM(config)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    if weights == "bin":  # the older DNABERT releases ship pytorch_model.bin
        (path / "model.safetensors").unlink()
        torch.save(model.state_dict(), path / "pytorch_model.bin")
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    (path / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "max_len": 512}))
    (path / "special_tokens_map.json").write_text(
        json.dumps(
            {
                "unk_token": "[UNK]",
                "sep_token": "[SEP]",
                "pad_token": "[PAD]",
                "cls_token": "[CLS]",
                "mask_token": "[MASK]",
            }
        )
    )
    return path


def write_nucleotide_transformer_checkpoint(path: str | Path) -> Path:
    """A tiny ESM masked-LM in the Nucleotide Transformer layout: 6-mer + single-base ``vocab.txt``
    read by ``EsmTokenizer`` (non-overlapping 6-mers, leftover bases and N as single tokens)."""
    import itertools

    import torch
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
    vocab += ["".join(p) for p in itertools.product("ATCG", repeat=6)] + list("ATCGN")
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    EsmTokenizer(
        vocab_file=str(path / "vocab.txt"),
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        cls_token="<cls>",
        eos_token="<eos>",
    ).save_pretrained(path)
    torch.manual_seed(0)
    config = EsmConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=1,
        mask_token_id=2,
        position_embedding_type="rotary",
    )
    EsmForMaskedLM(config).save_pretrained(path)
    return path
