"""``python -m dnalm ...`` runs the command line (so ``torchrun -m dnalm finetune ...`` works)."""

from dnalm.cli import main

main()
