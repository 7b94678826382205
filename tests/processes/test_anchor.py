"""Anchored proposals: the importance weights ``g/q`` are exact (``E_q[g/q · f] = E_g f``)."""

import math

import pytest
import torch

from dmm.processes.anchor import AnchoredProposals
from dmm.processes.jumps import Jumps
from dmm.processes.levy_ou import LevyOU


def _draw(n=200_000, dim=2, nu=1.5, seed=0):
    process = LevyOU.student_t(dim, nu=nu)
    y = torch.tensor([[0.0] * dim, [40.0] + [0.0] * (dim - 1)], dtype=torch.float64)
    y = y.repeat_interleave(n // 2, 0)
    t = torch.ones(n, dtype=torch.float64)
    x, log_w = AnchoredProposals(0.5, 1.0).propose(
        process.block(Jumps), y, t, 1, torch.Generator().manual_seed(seed)
    )
    return process, y, x[:, 0], log_w[:, 0]


def test_weights_are_bounded_and_integrate_to_one():
    """``E_q[g/q] = ∫ g = 1`` at a bulk point and at a far one; ``g/q ≤ 1/(1-β) = 2``. Tolerance:
    5 standard errors of the weighted mean (bounded weights: the normal approximation holds)."""
    _, _, _, log_w = _draw()
    w = log_w.exp()
    assert w.max() <= 2.0 + 1e-9
    for half in w.chunk(2):
        assert abs(half.mean().item() - 1.0) < 5 * half.std().item() / math.sqrt(half.numel())


def test_weighted_draws_reproduce_the_jump_law():
    """The weighted share of ``|x - y| > r`` equals ``P_g(|w| > r)`` (from 10^6 draws of ``g``)
    at the far point, where half of the draws come from the anchor around 0."""
    process, y, x, log_w = _draw()
    far = slice(x.shape[0] // 2, None)
    w = log_w.exp()[far]
    size = (x[far] - y[far]).norm(dim=1)
    ref = process.jump_law.sample((10**6,), torch.Generator().manual_seed(1), y).norm(dim=1)
    for r in (1.0, 5.0, 30.0):
        est = (w * (size > r)).mean().item()
        se = (w * (size > r)).std().item() / math.sqrt(size.numel())
        truth = (ref > r).double().mean().item()
        assert abs(est - truth) < 5 * se + 5 * math.sqrt(truth / 10**6), (r, est, truth)
    assert ((x[far].norm(dim=1) < 5).double().mean() > 0.3).item()  # the anchor lands in the bulk


def test_bad_parameters():
    with pytest.raises(ValueError):
        AnchoredProposals(weight=1.0)
    with pytest.raises(ValueError):
        AnchoredProposals(scale=0.0)
