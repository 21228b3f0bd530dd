"""Make a checkpoint dnalm ships (``dnalm-mini``, ``dnalm-cnn``): one recorded command, from the genomes in
../shared/data.

    python tools/ship_dnalm_mini.py [--time-budget 30m] [-o runs/dnalm-mini]
    python tools/ship_dnalm_mini.py --name dnalm-cnn --time-budget 10m -o runs/dnalm-cnn

1. ``dnalm corpus`` on every genome in ../shared/data (E. coli K-12, the A. thaliana, C. elegans and
   D. melanogaster chunks, 300 kb of human chr22): validation blocks held out by position in each record.
2. ``dnalm pretrain CORPUS --model RECIPE --time-budget T``: ``mini-cpu`` for dnalm-mini, a single-base
   ModernBERT (rotary positions, local attention); ``pos-cnn-cpu`` for dnalm-cnn, the default recipe's CNN
   filling in masked bases. Scored per base on held-out windows beside a Markov chain and a two-sided count model.
3. Copies the model folder's files (weights, config, tokenizer, lm_metrics.json, the training summary, the
   loss curve) into ``src/dnalm/checkpoints/NAME/`` with PROVENANCE.md (this command, the corpus summary, the
   package versions) and, for dnalm-mini, dnalm_finetune_defaults.json (dnalm-cnn is fine-tuned with the
   default recipe's settings, as any pos-cnn checkpoint is).

The corpus and a finished pretraining run in the output folder are reused, so running it again only re-ships.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CHECKPOINTS = ROOT / "src" / "dnalm" / "checkpoints"
GENOMES = [
    "ecoli_k12_mg1655/GCF_000005845.2_ASM584v2_genomic.fna.gz",
    "model_organism_chunks/A.thaliana.fa.gz",
    "model_organism_chunks/C.elegans.fa.gz",
    "model_organism_chunks/D.melanogaster.fa.gz",
    "human_hg38_chr22_300kb/hg38_chr22_32000000_32300000.fa",
]
SHIPPED = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "dnalm_tokenizer.json",
    "lm_metrics.json",
    "pretrain_summary.json",
    "dnalm_pretrain.yaml",
    "history.json",
    "loss_curve.png",
]
#: Per shipped name: the pretraining recipe, and what ``dnalm finetune --model NAME`` uses unless told otherwise
#: (no per-task tuning; None: the default recipe's settings, which every pos-cnn checkpoint gets).
KINDS = {
    "dnalm-mini": (
        "mini-cpu",
        {"learning_rate": 5e-4, "batch_size": 32, "warmup_ratio": 0.1, "lr_scheduler": "cosine"},
    ),
    "dnalm-cnn": ("pos-cnn-cpu", None),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="dnalm-mini", choices=list(KINDS))
    ap.add_argument("--time-budget", default="30m")
    ap.add_argument("-o", "--output", type=Path, default=None, help="default: runs/NAME")
    args = ap.parse_args()
    recipe, finetune_defaults = KINDS[args.name]
    args.output = args.output or Path("runs") / args.name
    target = CHECKPOINTS / args.name
    missing = [g for g in GENOMES if not (DATA / g).is_file()]
    if missing:
        sys.exit(f"genomes not found under {DATA}: {missing}")
    corpus = args.output / "corpus"
    model = args.output / "model"
    if not (corpus / "summary.json").is_file():
        subprocess.run(["dnalm", "corpus", *[str(DATA / g) for g in GENOMES], "-o", str(corpus)], check=True)
    if not (model / "pretrain_summary.json").is_file():  # a finished run is shipped again, not redone
        subprocess.run(
            [
                "dnalm",
                "pretrain",
                str(corpus),
                "-o",
                str(model),
                "--model",
                recipe,
                "--time-budget",
                args.time_budget,
            ],
            check=True,
        )
    # per-base held-out metrics with the current code (pretraining writes them too; this makes re-shipping exact)
    subprocess.run(
        ["dnalm", "lm-eval", str(model), str(corpus), "-o", str(model / "lm_metrics.json"), "--overwrite"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in SHIPPED:
        if (model / name).is_file():
            shutil.copy2(model / name, target / name)
    if finetune_defaults:
        (target / "dnalm_finetune_defaults.json").write_text(json.dumps(finetune_defaults, indent=2) + "\n")
    summary = json.loads((model / "pretrain_summary.json").read_text())
    lm = summary["lm_metrics"] = json.loads((model / "lm_metrics.json").read_text())  # the lm-eval above
    (target / "pretrain_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    import torch
    import transformers

    (target / "PROVENANCE.md").write_text(
        f"# {args.name}\n\nMade by `python tools/ship_dnalm_mini.py --name {args.name} --time-budget "
        f"{args.time_budget}` (corpus, `dnalm pretrain --model {recipe}`, then `dnalm lm-eval` on the corpus's "
        f"validation split) on "
        f"{platform.processor() or platform.machine()} ({torch.get_num_threads()} threads), torch {torch.__version__}, "
        f"transformers {transformers.__version__}.\n\n"
        f"Corpus: {', '.join(Path(g).name for g in GENOMES)}; validation blocks held out by position "
        f"(`corpus/summary.json` of that run):\n\n```\n{(corpus / 'summary.json').read_text()}```\n\n"
        f"Pretraining: {summary['steps']} steps, {summary['parameters']:,} parameters, "
        f"{summary['train_time_s']:.0f} s of training, {summary['tokens_per_s']:.0f} tokens/s.\n\n"
        f"Held-out, per base ({lm['n_bases']:,} masked bases): masked accuracy {lm['masked_base_accuracy']:.4f}, "
        f"{lm['bits_per_base']:.4f} bits per base; Markov chain (order {lm['markov_order']}) "
        f"{lm['markov_bits_per_base']:.4f}; two-sided counts (k={lm['context_count_k']}) "
        f"{lm['context_count_bits_per_base']:.4f}; uniform 2. Verdict: {lm['verdict']}.\n"
    )
    size = sum(p.stat().st_size for p in target.iterdir())
    print(f"shipped {target} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
