"""TailPotentialRatio: ``U = log h + C tanh(N/C)`` — the tail of ``h``, a bounded learned part."""

import pytest
import torch

from dmm.networks import MLP
from dmm.processes.jump_laws import StudentTJumps
from dmm.processes.levy_ou import LevyOU
from dmm.scores.jump_ratios import PotentialRatio, TailPotentialRatio


def _model(bound=2.0, weight_scale=3.0):
    proc = LevyOU.student_t(2, nu=1.5)
    tail = StudentTJumps(2, 1.5)
    net = MLP(2, 1, 16, 1, 0)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # large random weights (the output layer starts at 0): the bound acts
        for prm in net.parameters():
            prm.copy_(weight_scale * torch.randn(prm.shape, generator=g))
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


def test_the_fixed_part_is_the_tail_laws_log_ratio_and_the_rest_is_bounded():
    from dmm.scores.jump_ratios import JumpDiffusionModel, NoDiffusionScore, fixed_log_ratios

    model, tail, proc = _model(bound=2.0)
    g = torch.Generator().manual_seed(1)
    y = 10 * torch.randn(6, 2, generator=g)
    x = 10 * torch.randn(6, 3, 2, generator=g)
    t = torch.rand(6, generator=g)
    fixed = model.fixed_log_ratios_to(y, x, t)
    want = tail.log_prob(x.reshape(18, 2)).reshape(6, 3) - tail.log_prob(y)[:, None]
    torch.testing.assert_close(fixed, want)
    assert not fixed.requires_grad
    learned = model.log_ratios_to(y, x, t) - fixed
    assert (learned.abs() <= 4.0 + 1e-4).all() and learned.abs().max() > 0.5
    # the pair model and the module helper read the same fixed part; a model without one reads 0
    both = JumpDiffusionModel(NoDiffusionScore(proc), model)
    torch.testing.assert_close(fixed_log_ratios(both, y, x, t), fixed)
    plain = PotentialRatio(model.net, proc, squash=True)
    assert (fixed_log_ratios(plain, y, x, t) == 0).all()
    assert (fixed_log_ratios(torch.nn.Identity(), y, x, t) == 0).all()


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


def test_radius_pins_the_tail_index():
    """With ``radius`` the learned part tends to a constant along each ray, so far out ``U``
    decays as ``log h`` to within the change of the features ``r f/|f| - f/sqrt(1+|f|²/r²)``,
    ``O(r³/R²)`` here; with ``asinh`` features it keeps drifting (the check is not vacuous)."""
    pinned, tail, _ = _model(bound=50.0, weight_scale=0.5)
    pinned.radius = 10.0
    free, _, _ = _model(bound=50.0, weight_scale=0.5)
    direction = torch.tensor([[0.6, -0.8]])
    radii = torch.tensor([1e4, 1e5, 1e6])
    y = radii[:, None] * direction
    t = torch.full((3,), 0.7)
    with torch.no_grad():
        gap_pinned = pinned.potential(y, t) - tail.log_prob(y)
        gap_free = free.potential(y, t) - tail.log_prob(y)
    assert (gap_pinned[1:] - gap_pinned[:-1]).abs().max() < 1e-2
    assert (gap_free[1:] - gap_free[:-1]).abs().max() > 0.1


def test_radius_features_lie_in_the_ball():
    model, _, _ = _model()
    model.radius = 3.0
    z = torch.tensor([[0.01, 0.0], [1e8, -1e8], [2.0, 2.0]])
    f = model._features(z, torch.ones(3))
    assert ((f**2).sum(1) <= 9.0 + 1e-4).all()
    assert torch.allclose(f[0], z[0], atol=1e-6)  # the bulk is read unchanged to first order
    with pytest.raises(ValueError):
        TailPotentialRatio(MLP(2, 1, 8, 1, 0), model.process, StudentTJumps(2, 1.5), radius=-1.0)
