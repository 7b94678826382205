"""Ratio parameterisations: the identities a true ratio p_t(x)/p_t(y) satisfies, and the reversal's
backward jump intensities built from them."""

import math

import pytest
import torch

from dmm.networks import MLP
from dmm.processes import LevyOU, TorusJump
from dmm.reversal import Reversal, backward_intensity
from dmm.scores.jump_ratios import (
    DirectRatio,
    JumpDiffusionModel,
    NoDiffusionScore,
    PotentialRatio,
    TrunkRatio,
    proposal_log_ratios,
)


def randomised(net):
    torch.manual_seed(0)  # test-only: give the zero-initialised output layer random weights
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.3)
    return net


@pytest.mark.parametrize("kind", ["direct", "trunk", "trunk-1"])
def test_pair_ratios_are_antisymmetric_and_periodic_on_the_torus(kind):
    p = TorusJump(2)
    if kind == "direct":
        model = DirectRatio(randomised(MLP(8, 1, 16, 2)), p)
    else:
        depth = 1 if kind == "trunk-1" else 2
        model = randomised(TrunkRatio(MLP(4, 8, 16, 2), p, head_depth=depth))
    g = torch.Generator().manual_seed(1)
    y, x, t = p.space.uniform(20, g), p.space.uniform(20, g), torch.rand(20, generator=g)
    lr = model.log_ratio(y, x, t)
    assert lr.abs().max() > 1e-3  # not trivially zero
    assert torch.allclose(lr, -model.log_ratio(x, y, t), atol=1e-6)
    assert torch.allclose(lr, model.log_ratio(y + 2 * math.pi, x - 2 * math.pi, t), atol=1e-4)
    assert torch.allclose(model.ratio(y, x, t), torch.exp(lr))


def test_potential_ratio_is_a_ratio_and_its_score_is_the_gradient():
    p = LevyOU.student_t(3)
    model = PotentialRatio(randomised(MLP(3, 1, 16, 2)), p)
    g = torch.Generator().manual_seed(2)
    y, x, z = (torch.randn(10, 3, generator=g) for _ in range(3))
    t = torch.rand(10, generator=g)
    # transitivity ρ(y, x) ρ(x, z) = ρ(y, z): only potentials satisfy it
    assert torch.allclose(
        model.log_ratio(y, x, t) + model.log_ratio(x, z, t), model.log_ratio(y, z, t), atol=1e-5
    )
    h = 1e-3 * torch.eye(3)[0].expand(10, 3)
    fd = (model.log_ratio(y, y + h, t) - model.log_ratio(y, y - h, t)) / 2e-3
    assert torch.allclose(model.score(y, t)[:, 0], fd, atol=1e-3)
    both = JumpDiffusionModel(NoDiffusionScore(p), model)
    assert torch.equal(both.score(y, t), torch.zeros_like(y))
    assert torch.allclose(both.ratio(y, x, t), model.ratio(y, x, t))


def test_backward_intensity_is_rate_times_ratio():
    p = TorusJump(1)
    model = PotentialRatio(randomised(MLP(2, 1, 8, 1)), p)
    rev = Reversal(p, model)
    g = torch.Generator().manual_seed(3)
    y = p.space.uniform(5, g)
    w = torch.randn(5, 4, 1, generator=g)
    t = torch.full((5,), 0.4)
    rate, xs = backward_intensity(rev, y, w, t)
    assert rate.shape == (5, 4) and xs.shape == (5, 4, 1)
    assert torch.allclose(
        p.jumps.jump_rate(t), torch.full((5,), 0.45 * 403.33**0.4), rtol=1e-4
    )  # 0.45 -> 181.5
    want = p.jumps.jump_rate(t)[:, None] * model.ratio(
        y.repeat_interleave(4, 0),
        p.space.wrap(y.repeat_interleave(4, 0) + w.reshape(20, 1)),
        t.repeat_interleave(4),
    ).reshape(5, 4)
    assert torch.allclose(rate, want, rtol=1e-5)


def test_proposal_log_ratios_equal_the_pairwise_ratios():
    # K destinations per row: a potential shares U(y) across them (its own log_ratios_to), a direct
    # ratio goes through the pairs; both must equal log_ratio on the repeated pairs, with context.
    p = LevyOU.student_t(3)
    g = torch.Generator().manual_seed(5)
    n, k = 6, 4
    y, x = torch.randn(n, 3, generator=g), torch.randn(n, k, 3, generator=g)
    t, ctx = torch.rand(n, generator=g), torch.randn(n, 2, generator=g)
    potential = PotentialRatio(randomised(MLP(3, 1, 16, 2, context_dim=2)), p)
    direct = DirectRatio(randomised(MLP(6, 1, 16, 2, context_dim=2)), p)
    trunk = randomised(TrunkRatio(MLP(3, 8, 16, 2, context_dim=2), p))
    trunk1 = randomised(TrunkRatio(MLP(3, 8, 16, 2, context_dim=2), p, head_depth=1))
    both = JumpDiffusionModel(NoDiffusionScore(p), potential)
    for model in (potential, direct, trunk, trunk1, both):
        pairs = model.log_ratio(
            y.repeat_interleave(k, 0),
            x.reshape(n * k, 3),
            t.repeat_interleave(k),
            ctx.repeat_interleave(k, 0),
        ).reshape(n, k)
        shared = proposal_log_ratios(model, y, x, t, ctx)
        assert pairs.abs().max() > 1e-3  # not trivially zero
        torch.testing.assert_close(shared, pairs, rtol=1e-5, atol=1e-5)


def test_grouped_potentials_equal_the_backbone_at_single_points():
    # potentials() sends a point and its destinations through the backbone as one group sharing
    # the time and context embedding; each value must equal the backbone at that point alone
    p = LevyOU.student_t(3)
    g = torch.Generator().manual_seed(6)
    n, m = 5, 3
    z, t, ctx = torch.randn(n, m, 3, generator=g), torch.rand(n, generator=g), torch.randn(n, 2)
    net = randomised(MLP(3, 1, 16, 2, context_dim=2))
    model = PotentialRatio(net, p, squash=True)
    grouped = model.potentials(z, t, ctx)
    for j in range(m):
        f = torch.asinh(z[:, j] * p.input_scale(t)[:, None])
        alone = net(f, t / p.T, ctx).reshape(n)
        torch.testing.assert_close(grouped[:, j], alone, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(model.potential(z[:, j], t, ctx), alone, rtol=1e-5, atol=1e-6)
    assert grouped.std() > 1e-3  # not trivially constant


@pytest.mark.parametrize("head_depth", [1, 2])
def test_trunk_ratio_starts_at_one_with_live_trunk_features(head_depth):
    # zero head: ρ = 1 for every pair at initialisation (as the zero output layer of the other
    # models), while the trunk's own output layer is not zero, so the first step moves the head
    # along features that already depend on the point
    p = TorusJump(2)
    model = TrunkRatio(MLP(4, 8, 16, 2), p, head_depth=head_depth)
    assert (model.mix is None) == (head_depth == 1)
    g = torch.Generator().manual_seed(4)
    y, x, t = p.space.uniform(12, g), p.space.uniform(12, g), torch.rand(12, generator=g)
    assert torch.equal(model.log_ratio(y, x, t), torch.zeros(12))
    h = model.grouped(y[:, None], t)
    assert h.shape == (12, 1, 8) and h.std(0).min() > 0
    model.log_ratio(y, x, t).sum().backward()
    assert model.head.weight.grad.abs().max() > 0


def test_trunk_ratio_head_depth_is_one_or_two():
    with pytest.raises(ValueError, match="head_depth"):
        TrunkRatio(MLP(4, 8, 16, 2), TorusJump(2), head_depth=3)
