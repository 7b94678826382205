"""Parameterisations of the score and their conversions (MATH.md §3)."""

import pytest
import torch

from dmm.networks import MLP
from dmm.processes import SDE, VP
from dmm.scores import (
    EpsParam,
    PotentialParam,
    ScaledScoreParam,
    ScoreParam,
    X0Param,
    eps_to_score,
    score_to_eps,
    score_to_x0,
    x0_to_score,
)
from finite_differences import central_gradient


def test_conversions_agree_with_the_conditional_score():
    # x_t = α x0 + s ε  ⇒  ∇log p_{t|0} = -ε/s = (α x0 - x_t)/s², and the inverses round-trip
    p = VP(3)
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(50, 3, generator=g), torch.randn(50, 3, generator=g)
    t = torch.rand(50, generator=g) * 0.9 + 0.05
    a, s = p.alpha(t)[:, None], p.std(t)[:, None]
    xt = a * x0 + s * eps
    truth = p.conditional_score(xt, x0, t)
    torch.testing.assert_close(eps_to_score(eps, s), truth)
    torch.testing.assert_close(x0_to_score(x0, xt, a, s), truth)
    torch.testing.assert_close(score_to_eps(truth, s), eps, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(score_to_x0(truth, xt, a, s), x0, rtol=1e-4, atol=1e-4)


def test_parameterisations_share_one_network_output():
    # the same raw output read as ε, x0 or score gives scores related by the conversions
    p = VP(2)
    torch.manual_seed(0)
    net = MLP(2, 2, hidden=16, depth=1)
    torch.nn.init.normal_(net.out.weight)
    y, t = torch.randn(8, 2), torch.rand(8) * 0.9 + 0.05
    raw = ScoreParam(net, p).score(y, t)
    a, s = p.alpha(t)[:, None], p.std(t)[:, None]
    torch.testing.assert_close(EpsParam(net, p).score(y, t), eps_to_score(raw, s))
    torch.testing.assert_close(X0Param(net, p).score(y, t), x0_to_score(raw, y, a, s))


def test_potential_score_is_the_gradient_of_the_potential():
    # central finite differences of U (float64, h = 1e-5) against autograd's ∇U
    p = VP(2)
    torch.manual_seed(0)
    model = PotentialParam(MLP(2, 1, hidden=16, depth=2).double(), p)
    torch.nn.init.normal_(model.net.out.weight)
    y, t = torch.randn(5, 2, dtype=torch.float64), torch.full((5,), 0.5, dtype=torch.float64)
    s = model.score(y, t)
    fd = central_gradient(lambda z: model.potential(z, t), y, 1e-5)
    torch.testing.assert_close(s, fd, rtol=1e-6, atol=1e-8)


def test_gaussian_parameterisations_refuse_other_kernels():
    sde = SDE(lambda x, t: -x, lambda x, t: torch.ones_like(x), 2)
    with pytest.raises(TypeError, match="Gaussian kernel"):
        EpsParam(MLP(2, 2), sde)


def test_potential_score_on_so3_is_the_riemannian_gradient():
    # s_i = d/dε U(x exp(ε ê_i)) at 0, checked by central differences along the geodesics (float64)
    from dmm.processes.manifold_brownian import SO3Brownian
    from dmm.spaces.so3 import exp_map

    p = SO3Brownian()
    torch.manual_seed(0)
    model = PotentialParam(MLP(9, 1, hidden=16, depth=2).double(), p)
    torch.nn.init.normal_(model.net.out.weight)
    x = exp_map(torch.randn(4, 3, dtype=torch.float64))
    t = torch.full((4,), 0.5, dtype=torch.float64)
    s = model.score(x, t)
    assert s.shape == (4, 3)
    h = 1e-5
    for i in range(3):
        e = torch.zeros(4, 3, dtype=torch.float64)
        e[:, i] = h
        fd = (model.potential(x @ exp_map(e), t) - model.potential(x @ exp_map(-e), t)) / (2 * h)
        torch.testing.assert_close(s[:, i], fd, rtol=1e-5, atol=1e-7)


def test_potential_score_is_differentiable_in_the_state_for_ism():
    # ISM differentiates s_θ(x) in x: the potential's Hessian must flow through the score
    from dmm.losses import ImplicitScoreMatching

    p = VP(2)
    torch.manual_seed(0)
    model = PotentialParam(MLP(2, 1, hidden=16, depth=2), p)
    torch.nn.init.normal_(model.net.out.weight)
    value = ImplicitScoreMatching(p)(model, torch.randn(32, 2), torch.Generator().manual_seed(0))
    value.backward()
    assert torch.isfinite(value)
    assert any(q.grad is not None and q.grad.abs().sum() > 0 for q in model.parameters())


def _brownian(sigma: float = 0.5) -> SDE:
    """``dX = σ dW`` on R^3, no kernel declared: ``E|X_t - X_0|²/d = σ² t``."""
    return SDE(lambda x, t: torch.zeros_like(x), lambda x, t: sigma, 3, reference=None)


def test_scaled_score_before_calibration_is_the_plain_score():
    torch.manual_seed(0)
    p, net = _brownian(), MLP(3, 3, 16, 1)
    torch.nn.init.normal_(net.out.weight)  # a non-zero network
    y, t = torch.randn(8, 3), torch.rand(8) * 0.9 + 0.05
    torch.testing.assert_close(ScaledScoreParam(net, p).score(y, t), ScoreParam(net, p).score(y, t))


def test_calibration_measures_the_spread_of_the_forward_simulation():
    sigma = 0.5
    p = _brownian(sigma)
    head = ScaledScoreParam(MLP(3, 3, 16, 1), p)
    head.calibrate(torch.randn(2000, 3))
    truth = 0.5 * torch.log(sigma**2 * head.log_times.exp())
    # 6000 squared Gaussians per time: relative standard error of the mean sqrt(2/6000) = 0.018,
    # so log σ̂ is within 0.5 * 4 * 0.018 = 0.04 at four standard errors
    torch.testing.assert_close(head.log_scales, truth, atol=0.04, rtol=0)
    # between grid points log σ̂ is linear in log t: exact for σ̂ ∝ √t, up to the grid's noise
    t = torch.tensor([2e-3, 0.05, 0.7])
    torch.testing.assert_close(head.log_scale(t), 0.5 * torch.log(sigma**2 * t), atol=0.04, rtol=0)
    # a checkpoint carries the scale: a fresh head loaded from it scores alike
    fresh = ScaledScoreParam(head.net, p)
    fresh.load_state_dict(head.state_dict())
    y = torch.randn(5, 3)
    torch.testing.assert_close(fresh.score(y, t[:1].expand(5)), head.score(y, t[:1].expand(5)))


def test_a_checkpoint_from_before_the_scale_loads_as_the_plain_score():
    p, net = _brownian(), MLP(3, 3, 16, 1)
    torch.nn.init.normal_(net.out.weight)
    old = ScoreParam(net, p)
    head = ScaledScoreParam(MLP(3, 3, 16, 1), p)
    head.calibrate(torch.randn(500, 3))
    head.load_state_dict(old.state_dict())  # no log_times / log_scales keys
    y, t = torch.randn(6, 3), torch.full((6,), 0.01)
    torch.testing.assert_close(head.score(y, t), old.score(y, t))
