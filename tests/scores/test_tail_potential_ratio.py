"""TailPotentialRatio: ``U = log h + C tanh(N/C)`` — the tail of ``h``, a bounded learned part."""

import pytest
import torch

from dmm.networks import MLP
from dmm.processes.jump_laws import StudentTJumps
from dmm.processes.levy_ou import LevyOU
from dmm.scores.jump_ratios import PotentialRatio, TailPotentialRatio


def _model(bound=2.0):
    proc = LevyOU.student_t(2, nu=1.5)
    tail = StudentTJumps(2, 1.5)
    net = MLP(2, 1, 16, 1, 0)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # large random weights (the output layer starts at 0): the bound acts
        for prm in net.parameters():
            prm.copy_(3.0 * torch.randn(prm.shape, generator=g))
    return TailPotentialRatio(net, proc, tail, bound), tail, proc


def test_learned_part_is_bounded_and_the_tail_is_that_of_h():
    model, tail, _ = _model(bound=2.0)
    y = torch.tensor([[0.0, 0.0], [1.0, -2.0], [1e2, 3.0], [1e4, -1e4]])
    t = torch.full((4,), 0.5)
    u = model.potential(y, t)
    assert ((u - tail.log_prob(y)).abs() <= 2.0 + 1e-5).all()
    # far→bulk ratio follows h up to e^{±2C}: log ρ(y_far, 0) - [log h(0) - log h(y_far)]
    far, zero = y[3:], torch.zeros(1, 2)
    gap = model.log_ratio(far, zero, t[:1]) - (tail.log_prob(zero) - tail.log_prob(far))
    assert gap.abs().item() <= 4.0 + 1e-4
    raw = PotentialRatio(model.net, model.process, squash=True).potential(y, t)
    assert raw.abs().max() > 2.0  # the bound was exercised, not vacuous


def test_score_is_the_gradient_of_the_potential():
    model, _, _ = _model()
    y = torch.tensor([[0.3, -0.7], [5.0, 2.0]], dtype=torch.float32)
    t = torch.full((2,), 1.0)
    s = model.score(y, t)
    h = 1e-3
    for i in range(2):
        e = torch.zeros_like(y)
        e[:, i] = h
        fd = (model.potential(y + e, t) - model.potential(y - e, t)) / (2 * h)
        assert torch.allclose(s[:, i], fd, rtol=2e-2, atol=2e-3)  # float32 central differences


def test_bad_bound():
    _, tail, proc = _model()
    with pytest.raises(ValueError):
        TailPotentialRatio(MLP(2, 1, 8, 1, 0), proc, tail, bound=0.0)
