"""The exact-score flows that the order and 10-evaluation tests of the probability-flow samplers
share (computed once per session)."""

import pytest
import torch

from dmm.processes import VP, CosineSchedule
from dmm.reversal import Reversal
from dmm.samplers import DPMSolver2M, FlowHeun, logsnr_grid, simulate
from dmm.testing import ExactScore, GaussianMixture, standard_mixture


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


@pytest.fixture(scope="session", params=[None, 1e-4], ids=["standard", "concentrated"])
def cosine_flow(request):
    """``(rev, start, ref, name)`` for the 10-evaluation comparisons: VP with the cosine schedule
    (the CLI's ``vp``) and the exact score of the standard mixture (component variances 0.1-0.2,
    ``"standard"``) or of the same means with variance 1e-4 (nearly point masses,
    ``"concentrated"``); 8000 starting points (seed 0) and their end points under
    DPM-Solver-2M with 1000 log-SNR steps."""
    base = standard_mixture()
    mix = (
        base
        if request.param is None
        else GaussianMixture(base.weights, base.means, torch.full((3,), request.param))
    )
    process = VP(2, CosineSchedule())
    rev = Reversal(process, ExactScore(process, mix))
    start = process.reference.sample(8000, torch.Generator().manual_seed(0)).to(torch.float64)
    ref = simulate(rev, DPMSolver2M(), 8000, 1000, y_init=start)
    return rev, start, ref, "standard" if request.param is None else "concentrated"
