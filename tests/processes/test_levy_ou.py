"""Lévy OU: exact simulation against the closed-form characteristic function, the block-level
simulation, the stationary reference, and the generic check-suite."""

import math

import pytest
import torch
from scipy import integrate

from dmm.processes.jump_laws import GaussianJumps
from dmm.processes.levy_ou import LevyOU
from dmm.testing import checks


def char_fn(u, x0, t, theta, sigma, rate, sj):
    """``E e^{i u X_t}`` for Gaussian jumps N(0, sj²): OU part times
    ``exp(λ ∫_0^t (e^{-sj² u² e^{-2θs}/2} - 1) ds)``; returns (real, imag) for 1-D."""
    jump = (
        integrate.quad(
            lambda s: math.exp(-0.5 * sj**2 * u**2 * math.exp(-2 * theta * s)) - 1, 0, t
        )[0]
        if math.isfinite(t)
        else integrate.quad(
            lambda s: math.exp(-0.5 * sj**2 * u**2 * math.exp(-2 * theta * s)) - 1, 0, math.inf
        )[0]
    )
    var = (
        sigma**2 * (1 - math.exp(-2 * theta * t)) / (2 * theta)
        if math.isfinite(t)
        else sigma**2 / (2 * theta)
    )
    mod = math.exp(-0.5 * var * u**2 + rate * jump)
    phase = u * x0 * math.exp(-theta * t) if math.isfinite(t) else 0.0
    return mod * math.cos(phase), mod * math.sin(phase)


def process():
    return LevyOU(1, GaussianJumps(1, 1.3), rate=2.0, theta=0.7, sigma=0.4)


@pytest.mark.parametrize("how", ["exact", "simulated"])
def test_marginal_matches_the_characteristic_function(how):
    p, n, t, x0v = process(), 20000, 0.8, 1.5
    x0 = torch.full((n, 1), x0v, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    if how == "exact":
        x = p.sample_marginal(x0, torch.tensor(t), g)
    else:  # generic splitting of blocks: EM drift/diffusion + exact compound-Poisson steps
        x = p.simulate_forward(x0, torch.tensor(t, dtype=torch.float64), g, steps=40)
    for u in (0.3, 1.0, 2.0):
        re, im = char_fn(u, x0v, t, 0.7, 0.4, 2.0, 1.3)
        got_re, got_im = torch.cos(u * x).mean().item(), torch.sin(u * x).mean().item()
        # 5 standard errors (sd of cos/sin ≤ 1, n = 20000 → 0.035); splitting bias O(h) is ~5e-3
        assert abs(got_re - re) < 0.035 and abs(got_im - im) < 0.035, (u, got_re, re, got_im, im)


def test_stationary_reference_matches_the_limit_characteristic_function():
    p = process()
    x = p.reference.sample(40000, torch.Generator().manual_seed(1)).double()
    for u in (0.3, 1.0):
        re, _ = char_fn(u, 0.0, math.inf, 0.7, 0.4, 2.0, 1.3)
        assert abs(torch.cos(u * x).mean().item() - re) < 0.025


def test_student_t_and_stable_constructors():
    p = LevyOU.student_t(3, nu=1.5)
    assert p.sigma == 0 and [type(b).__name__ for b in p.blocks] == ["Diffusion", "Jumps"]
    q = LevyOU.truncated_stable(2, alpha=1.5, epsilon=0.5, intensity=1.0)
    assert q.rate == pytest.approx(q.jump_law.rate())
    assert q.sigma**2 == pytest.approx(q.jump_law.small_jump_variance())
    with pytest.raises(ValueError):
        LevyOU(2, GaussianJumps(3, 1.0))


def test_check_suite():
    p = process()
    x0 = torch.linspace(-2, 2, 8)[:, None]
    results = checks.check_process(p, x0, n=4000)
    assert sum(not r.applicable for r in results) == 4
    assert all(r.passed for r in results if r.applicable)
