"""Using a pretrained DNA language model: fill-mask on raw sequence, and embeddings.

``fill_mask`` takes a sequence with ``<mask>`` (or ``[MASK]``) standing for unknown bases.
For overlapping k-mer and single-base models each mask hides one base: every token that
covers a masked base is masked (as in pretraining, so nothing leaks), and the per-base
probabilities of A/C/G/T are the predicted token distributions marginalised at that
base's offset, averaged over the covering tokens. A sequence longer than the model takes is read
in windows of the model's length, each mask in the window centred on it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from dnalm.io.base import RepeatedIds
from dnalm.io.outputs import Output, claims
from dnalm.io.sequence import ReadChanges, SequenceError, normalize
from dnalm.models.loading import IncompleteCheckpointError, load_complete
from dnalm.models.ref import ModelRef
from dnalm.runtime.progress import track
from dnalm.tokenizers.capabilities import capabilities

__all__ = [
    "IncompleteCheckpointError",
    "embed",
    "embed_file",
    "fill_mask",
    "format_fill_mask",
    "load_complete",
    "load_masked_lm",
    "write_embeddings",
]

log = logging.getLogger(__name__)

_MASK = re.compile(r"<mask>|\[MASK\]", re.IGNORECASE)


def load_masked_lm(model_path: str | ModelRef, trust_remote_code: bool = False, what: str = "fill-mask"):
    """A pretrained masked LM and its tokenizer (refused if the checkpoint lacks the masked-LM head; ``what`` names
    the command that needs it), the tokenizer's limit the tokens one forward pass of the model takes."""
    from transformers import AutoModelForMaskedLM

    from dnalm.models.build import model_max_tokens, register_baselines
    from dnalm.tokenizers.dna import load_tokenizer

    ref = ModelRef.resolve(model_path, trust_remote_code)
    path, trust = ref.checkpoint("a masked LM"), ref.trust_remote_code
    ref.check_trust()
    register_baselines()  # dnalm's own masked-LM architectures (the CNN's masked-base model)
    model = load_complete(AutoModelForMaskedLM, path, what, trust_remote_code=trust)
    tok = load_tokenizer(path, trust_remote_code=trust)
    tok.model_max_length = model_max_tokens(model, tok)  # RoBERTa's 514 positions take 512 tokens (index 514 failed)
    return model, tok


def _clean_parts(parts: list[str]) -> list[str]:
    """The pieces between masks, each checked; a bad character is named at its place in the whole sequence (each
    ``<mask>`` one base), not in its piece; a context without a base is said, and what reading changed (lower case,
    U, ambiguity codes), as the commands that read files say it."""
    clean, offset, changes = [], 0, ReadChanges()
    for part in parts:
        try:
            clean.append(normalize(part, record="input"))
            changes.see(part, clean[-1])
        except SequenceError as err:
            raise SequenceError(
                f"record 'input', position {offset + err.position} (a <mask> counts as one base): {err.char!r} is "
                "not a nucleotide code",
                record="input",
                position=offset + err.position,
                char=err.char,
            ) from None
        offset += len(part) + 1
    changes.end_record()
    if (said := changes.text()) is not None:
        log.info("the sequence: %s", said)
    if not any(b in part for part in clean for b in "ACGT"):  # as embed and predict say of such input
        log.warning("the context of the masks holds no A/C/G/T base: the predictions rest on no evidence")
    return clean


def _masked_lm(model_path, model, tokenizer, trust_remote_code: bool):
    """The masked LM and tokenizer to use: loaded from ``model_path``, or the ones given (checked)."""
    from dnalm.models.windows import check_masked_lm

    if model is None:
        model, tokenizer = load_masked_lm(model_path, trust_remote_code)
    else:
        _given_model(model_path, tokenizer)
    check_masked_lm(model, tokenizer, "fill-mask")
    return model, tokenizer


def _given_model(model_path, tokenizer) -> None:
    """A model passed as an object comes with its tokenizer, and without a path (which would be ignored)."""
    if model_path is not None:
        raise ValueError(f"give model_path or model=, not both (got model_path={model_path!r} and a model)")
    if tokenizer is None:
        raise ValueError("a model given as model= needs its tokenizer as tokenizer= (load_model(folder) gives both)")


def fill_mask(
    model_path: str | Path | ModelRef,
    sequence: str,
    *,
    top_k: int | None = None,
    model=None,
    tokenizer=None,
    trust_remote_code: bool = False,
) -> list[dict]:
    """Predict the masked bases (k-mer/base models) or masked tokens (other tokenizers).

    Returns one dict per mask, in order: ``position`` (1-based base position in the
    filled sequence for k-mer/base models), ``probabilities`` ({base or token: p}, the ``top_k`` most likely:
    default all four bases, or 5 tokens; never a special token such as ``<pad>``) and ``best``.
    A sequence longer than the model takes is read in windows of the model's length: each mask is
    predicted in the window centred on it (kept inside the sequence), the other masks there masked too.
    """
    from dnalm.settings import plain_number

    top_k = plain_number(top_k)  # np.int64(3) was refused as no whole number
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 1_000_000):
        raise ValueError(f"top_k (--top-k) must be a whole number in [1, 1000000]; got {top_k!r}")
    import torch

    from dnalm.models.windows import window_size

    model, tokenizer = _masked_lm(model_path, model, tokenizer, trust_remote_code)
    if not isinstance(sequence, str):
        raise TypeError(f"sequence must be one string of bases with <mask> in it; got {type(sequence).__name__}")
    parts = _MASK.split(sequence)
    if len(parts) < 2:
        raise ValueError(f"no <mask> in {sequence!r}; mark the bases to predict with <mask>")
    max_tokens, size = window_size(model, tokenizer, None)
    clean = _clean_parts(parts)
    if not capabilities(tokenizer).per_base:
        text = tokenizer.mask_token.join(clean)
        enc = tokenizer(text, return_tensors="pt")
        if enc["input_ids"].shape[1] > max_tokens:
            raise ValueError(
                f"the sequence is {enc['input_ids'].shape[1]} tokens; this model reads {max_tokens} "
                "(fill-mask windows long sequences for k-mer and single-base models only): cut it around the masks"
            )
        with torch.inference_mode():
            probs = torch.softmax(model(**_inputs(enc)).logits[0], dim=-1)
            special = [i for i in tokenizer.all_special_ids if 0 <= i < probs.shape[-1]]
            probs[:, special] = 0  # <s>, <pad>, </s> were offered as what a masked stretch of DNA holds
        where = (enc["input_ids"][0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
        _say_fewer(top_k, probs.shape[-1] - len(set(special)), "tokens of DNA in the vocabulary")
        out = []
        for n, pos in enumerate(where):
            p, idx = probs[pos].topk(min(top_k or 5, probs.shape[-1] - len(set(special))))
            tokens = tokenizer.convert_ids_to_tokens(idx.tolist())
            out.append({"mask": n + 1, "probabilities": dict(zip(tokens, p.tolist())), "best": tokens[0]})
        return out
    _say_fewer(top_k, 4, "bases a masked base can be")
    return _fill_bases(model, tokenizer, clean, size, top_k)


def _say_fewer(top_k: int | None, n: int, what: str) -> None:
    if top_k is not None and top_k > n:  # (it was cut to n without a word)
        log.warning("top_k %d: there are %d %s; all %d are listed", top_k, n, what, n)


def _fill_bases(model, tokenizer, clean: list[str], size: int, top_k: int | None) -> list[dict]:
    """fill-mask for a k-mer or single-base model: P(A/C/G/T) at each mask between the ``clean`` parts, each read in
    a window of ``size`` bases centred on it."""
    k = tokenizer.overlap + 1
    masked_bases, filled, pos = [], [], 0
    for i, part in enumerate(clean):
        filled.append(part)
        pos += len(part)
        if i < len(clean) - 1:
            masked_bases.append(pos)
            filled.append("A")  # placeholder; every token covering it is masked below
            pos += 1
    text = "".join(filled)
    if len(text) < k:
        raise ValueError(f"the sequence needs at least k={k} bases; got {len(text)}")
    windows: dict[int, list[int]] = {}  # each mask's window: centred on it, inside the text (one for a short text)
    for b in masked_bases:
        windows.setdefault(min(max(b - size // 2, 0), max(len(text) - size, 0)), []).append(b)
    if len(windows) > 1:
        log.info(
            "%d masks in %d bases, longer than the model's %d: %d windows, one model pass each",
            len(masked_bases),
            len(text),
            size,
            len(windows),
        )
    per_base: dict[int, np.ndarray] = {}
    for start, predicted in track(windows.items(), "fill-mask", unit="windows"):
        inside = [m for m in masked_bases if start <= m < start + size]  # every mask there is masked
        found = _masked_base_probs(model, tokenizer, text[start : start + size], [m - start for m in inside])
        per_base.update({m: found[m - start] for m in predicted})
    out = []
    for b in masked_bases:  # the top_k most likely bases, most likely first (it was ignored: always all four)
        order = np.argsort(-per_base[b], kind="stable")[: top_k or 4]
        result = {"ACGT"[i]: round(float(per_base[b][i]), 6) for i in order}
        out.append({"position": b + 1, "probabilities": result, "best": "ACGT"[int(per_base[b].argmax())]})
    return out


def _masked_base_probs(model, tokenizer, text: str, masked_bases: list[int]) -> dict[int, np.ndarray]:
    """P(A/C/G/T) at each masked base of ``text`` (one window), every token covering one of them masked."""
    import torch

    k = tokenizer.overlap + 1
    enc = tokenizer(text, return_tensors="pt")
    ids = enc["input_ids"].clone()
    n_tokens = len(text) - k + 1
    covering = {b: [j for j in range(max(0, b - k + 1), min(b, n_tokens - 1) + 1)] for b in masked_bases}
    for tokens in covering.values():
        ids[0, [1 + j for j in tokens]] = tokenizer.mask_token_id
    with torch.inference_mode():
        probs = torch.softmax(model(input_ids=ids, attention_mask=enc["attention_mask"]).logits[0], -1).numpy()
    vocab = tokenizer.ids_to_tokens
    letters = np.array([[t[o] if len(t) == k and set(t) <= set("ACGT") else "" for o in range(k)] for t in vocab])
    out = {}
    for b in masked_bases:
        per_base = np.zeros(4)
        for j in covering[b]:
            p = probs[1 + j]
            offset = b - j
            for c, base in enumerate("ACGT"):
                per_base[c] += p[letters[:, offset] == base].sum()
        out[b] = per_base / (per_base.sum() or 1.0)
    return out


def _inputs(enc) -> dict:
    return {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask")}


def embed(
    model_path: str | Path | ModelRef,
    sequences: list[str],
    *,
    pooling: str = "mean",
    batch_size: int = 64,
    model=None,
    tokenizer=None,
    trust_remote_code: bool = False,
) -> np.ndarray:
    """One vector per sequence from the encoder's last hidden layer (mean over tokens or [CLS]).

    Sequences longer than the model takes are cut into windows whose vectors are averaged.
    """
    from transformers import AutoModel

    from dnalm.models.windows import check_model_and_tokenizer, stream_windows
    from dnalm.tokenizers.dna import load_tokenizer

    if pooling not in ("mean", "cls"):
        raise ValueError(f"pooling must be 'mean' or 'cls'; got {pooling!r}")
    if model is not None:
        _given_model(model_path, tokenizer)
        model = _encoder(model)
    else:
        ref = ModelRef.resolve(model_path, trust_remote_code)
        path, trust = ref.checkpoint("embed"), ref.trust_remote_code
        ref.check_trust()
        try:
            model = load_complete(AutoModel, path, "embed", ignore=("pooler",), trust_remote_code=trust)
        except IncompleteCheckpointError:
            raise
        except ValueError:
            raise ValueError(f"{path}: embeddings need a transformer checkpoint") from None  # a dnalm baseline
        tokenizer = load_tokenizer(path, trust_remote_code=trust)
    check_model_and_tokenizer(model, tokenizer)

    special = len(tokenizer("")["input_ids"])  # [CLS] and [SEP] (or none)
    unknown = getattr(tokenizer, "unk_token_id", None)

    def forward(model, enc, pieces):  # each window's vector, and whether it holds no token of sequence (shorter
        mask = enc["attention_mask"].bool()  # than the k-mers, or no readable base: all [UNK])
        real = mask.sum(1) - special - (((enc["input_ids"] == unknown) & mask).sum(1) if unknown is not None else 0)
        hidden = model(**enc).last_hidden_state.float()
        if pooling == "cls":
            pooled = hidden[:, 0]
        else:
            m = enc["attention_mask"][..., None].float()
            pooled = (hidden * m).sum(1) / m.sum(1)
        return list(zip(pooled.cpu().numpy(), (real <= 0).tolist()))

    vectors, empty = [], []  # empty: (sequence index, its windows with no token of sequence)
    for i, (_, outs) in enumerate(
        stream_windows(model, tokenizer, sequences, forward, batch_size=batch_size, what="embed", skip_unreadable=True)
    ):
        vectors.append(np.mean([v for v, _ in outs], axis=0))
        if n := sum(e for _, e in outs):
            empty.append((i, n))
    if empty:
        log.warning(
            "%d window(s) of %d sequence(s) hold no token of sequence (shorter than the tokenizer's k-mers, or no "
            "readable base): their vectors are of special or unknown tokens alone (the first: sequence %d, "
            "0-based, in input order)",
            sum(n for _, n in empty),
            len(empty),
            empty[0][0],
        )
    return np.stack(vectors).astype(np.float32)


def _encoder(model):
    """The encoder of a model given as an object: a transformer with a head (a classifier, a masked LM) gives its
    base model; a model whose encoder returns no hidden states (dnalm's CNN and LSTM) is refused (it failed on
    'SequenceClassifierOutput' object has no attribute 'last_hidden_state')."""
    encoder = getattr(model, "base_model", model)
    headed = callable(getattr(model, "get_output_embeddings", None)) and (
        model.get_output_embeddings() is not None or "For" in type(model).__name__
    )
    if (encoder is model and headed) or (encoder is not model and not hasattr(encoder, "config")):
        raise ValueError(
            f"embed needs a transformer's encoder; {type(model).__name__} has none to read hidden states from"
        )
    return encoder


def check_embeddings_path(path: str | Path) -> Path:
    """The output of :func:`write_embeddings`, checked before any work: ``.npy`` or ``.parquet``, writable."""
    from dnalm.io.files import check_output_file

    path = Path(path)
    if path.suffix.lower() not in (".npy", ".parquet"):
        raise ValueError(f"{path}: embeddings are written as .npy or .parquet")
    return check_output_file(path)


def write_embeddings(
    vectors: np.ndarray, ids: list[str], path: str | Path, descriptions: list[str | None] | None = None
) -> None:
    """``.npy`` (vectors; ids in ``<name>.ids.txt`` beside it) or ``.parquet`` (id, the FASTA header's description
    where any record has one, as ``predict`` writes them, and one column per dim), each file written whole or not at
    all."""
    from dnalm.io.files import atomic_open

    path = check_embeddings_path(path)
    if path.suffix.lower() == ".npy":
        with atomic_open(path, "wb") as fh:
            np.save(fh, vectors)
        broken = sum(1 for i in ids if "\n" in i or "\r" in i)
        if broken:  # a line break inside an id would pair every later id with the wrong row
            log.warning("%d ids hold a line break: written with it as \\n (one id a line)", broken)
        with atomic_open(path.with_suffix(".ids.txt")) as fh:
            fh.write("".join(i.replace("\r", "\\r").replace("\n", "\\n") + "\n" for i in ids))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {"id": pa.array(ids)}
        if descriptions is not None and any(descriptions):
            columns["description"] = pa.array(descriptions, pa.string())
        columns |= {f"dim_{j}": pa.array(vectors[:, j]) for j in range(vectors.shape[1])}
        with atomic_open(path, "wb") as fh:
            pq.write_table(pa.table(columns), fh)


def format_fill_mask(result: list[dict]) -> str:
    """What ``dnalm fill-mask`` prints: each mask's best base (or token) and the probabilities.

    >>> print(format_fill_mask([{"position": 3, "best": "A", "probabilities": {"A": 0.9, "C": 0.1}}]))
    base 3: A   (A 0.900  C 0.100)
    """
    lines = []
    for r in result:
        where = f"base {r['position']}" if "position" in r else f"mask {r['mask']}"
        probs = "  ".join(f"{k} {v:.3f}" for k, v in r["probabilities"].items())
        lines.append(f"{where}: {r['best']}   ({probs})")
    return "\n".join(lines)


@claims(
    "embed",
    lambda a: {
        "inputs": [a["model_path"], a["input_path"]],
        "outputs": [Output(a["output"])]
        + ([Output(Path(a["output"]).with_suffix(".ids.txt"))] if Path(a["output"]).suffix.lower() == ".npy" else []),
    },
)
def embed_file(
    model_path: str | Path | ModelRef,
    input_path: str | Path,
    output: str | Path,
    *,
    pooling: str = "mean",
    batch_size: int = 64,
    trust_remote_code: bool = False,
    sequence_column: str | None = None,
    overwrite: bool = False,
) -> str:
    """``dnalm embed``: one embedding per sequence of a FASTA/CSV/TSV file, to ``.npy`` or ``.parquet``;
    returns what the command prints."""
    from dnalm.io import read_sequences
    from dnalm.lm.inference_settings import EmbedSettings
    from dnalm.settings import checked

    batch_size = checked(EmbedSettings, **locals()).batch_size  # as checked: 64.0 is 64
    output = check_embeddings_path(output)
    records = list(read_sequences(input_path, sequence_column=sequence_column))
    vectors = embed(
        model_path,
        [r.sequence for r in records],
        pooling=pooling,
        batch_size=batch_size,
        trust_remote_code=trust_remote_code,
    )
    write_embeddings(vectors, [r.id for r in records], output, [r.description for r in records])
    ids = RepeatedIds()
    for rec in records:
        ids.see(rec)
    repeated = ids.say()
    note = f" ({repeated:,} rows repeat an earlier record's id; rows are in input order)" if repeated else ""
    ids = f" (ids in {Path(output).with_suffix('.ids.txt')})" if Path(output).suffix.lower() == ".npy" else ""
    return f"wrote {vectors.shape[0]:,} x {vectors.shape[1]} embeddings to {output}{ids}{note}"
