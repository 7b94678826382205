"""The tiny training budget the CLI tests share (a module, not conftest, so that importing it
cannot pick up another directory's conftest.py)."""

#: a run small enough to train in about a second on one core
TINY = [
    "--steps",
    "20",
    "--batch-size",
    "32",
    "--n-data",
    "256",
    "--quiet",
    "--set",
    "hidden=16",
    "--set",
    "depth=1",
    "--set",
    "val_size=64",
    "--set",
    "log_every=5",
    "--set",
    "val_every=10",
    "--set",
    "sample_steps=10",
]
