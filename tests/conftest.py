"""Test-wide settings: one thread per worker (the suite runs as `pytest -n 2` on 2 cores)."""

import torch

torch.set_num_threads(1)
