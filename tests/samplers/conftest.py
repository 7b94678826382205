"""The exact-score flow that the order tests of the probability-flow samplers share."""

import pytest
import torch

from dmm.processes import VP
from dmm.reversal import Reversal
from dmm.samplers import FlowHeun, logsnr_grid, simulate
from dmm.testing import ExactScore, standard_mixture


@pytest.fixture(scope="session")
def vp_flow():
    """``(rev, start, ref)``: VP (linear β from 0.1 to 20) with the exact score of the standard
    3-component mixture, 200 starting points drawn from the reference in float64 (seed 0), and
    their end points at ``t_min`` under FlowHeun with 4000 log-SNR steps (it differs from a
    4000-step DPM-Solver-2M solution by ~2e-5, below the smallest error the order tests measure)."""
    process = VP(2)
    rev = Reversal(process, ExactScore(process, standard_mixture()))
    start = process.reference.sample(200, torch.Generator().manual_seed(0)).to(torch.float64)
    grid = logsnr_grid(process, 4000, dtype=torch.float64)
    return rev, start, simulate(rev, FlowHeun(), 200, y_init=start, grid=grid)
