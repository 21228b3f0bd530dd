"""dnalm's version, in a module of its own so that the lowest layers (the output marker) can record it."""

__version__ = "0.1.0"
