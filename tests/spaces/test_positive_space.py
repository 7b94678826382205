"""PositiveOrthant: support checks, log features and the generic log-coordinate Itô step."""

from __future__ import annotations

import math

import pytest
import torch

from dmm.spaces import PositiveOrthant, SupportError


def test_validate_names_rows_with_zero_or_negative_values() -> None:
    space = PositiveOrthant(3)
    x = torch.ones(6, 3)
    x[1, 2] = 0.0
    x[4, 0] = -2.5
    with pytest.raises(SupportError, match=r"every coordinate > 0.*\) in 2 row\(s\): 1, 4"):
        space.validate(x)
    assert space.validate(torch.rand(5, 3) + 1e-3) is not None
    with pytest.raises(SupportError, match="1 row"):  # below float32's safe range (1.2e-16)
        space.validate(torch.tensor([[1.0, 1.0, 1.0], [1.0, 1e-20, 1.0]]))
    with pytest.raises(SupportError, match="shape"):
        space.validate(torch.ones(4, 2))


def test_features_are_standardised_log_coordinates() -> None:
    loc, scale = torch.tensor([0.5, -1.0]), torch.tensor([2.0, 0.5])
    space = PositiveOrthant(2, loc, scale)
    x = torch.tensor([[1.0, 2.0], [1e-15, 1e15]])
    expected = (torch.log(x) - loc) / scale
    torch.testing.assert_close(space.features(x), expected)
    assert torch.isfinite(space.features(x)).all()  # no singularity at the axes or at infinity


def test_log_step_is_exact_for_gbm_coefficients() -> None:
    # For b = μ y, σ = s y the log-coordinate Euler step is the exact GBM solution given the same ξ:
    # log y' = log y + (μ - s²/2) h + s √h ξ. Float tolerance only.
    g = torch.Generator().manual_seed(0)
    y = torch.rand(100, 4, generator=g, dtype=torch.float64) * 3 + 1e-3
    xi = torch.randn(100, 4, generator=g, dtype=torch.float64)
    mu, s, h = 0.7, torch.tensor([0.3, 1.0, 2.0, 0.1], dtype=torch.float64), torch.tensor(0.05)
    out = PositiveOrthant(4).step(y, mu * y, s * y, h, xi)
    exact = torch.exp(torch.log(y) + (mu - 0.5 * s**2) * h + s * h.sqrt() * xi)
    torch.testing.assert_close(out, exact)


def test_log_step_stays_positive_where_the_plain_step_crosses_zero() -> None:
    g = torch.Generator().manual_seed(1)
    y = torch.full((2000, 2), 0.05)
    drift, sigma = -torch.ones_like(y) * 3.0, 0.5 * torch.ones_like(y)  # pushes hard into the axis
    xi = torch.randn(2000, 2, generator=g)
    h = torch.tensor(0.1)
    log_space = PositiveOrthant(2)
    plain = log_space.with_log_step(False)
    assert (log_space.step(y, drift, sigma, h, xi) > 0).all()
    assert plain.outside(plain.step(y, drift, sigma, h, xi)).float().mean() > 0.9
    # even absurd drifts keep y = e^z a positive finite float
    huge = log_space.step(y, -1e30 * torch.ones_like(y), sigma, h, xi)
    assert (huge > 0).all() and torch.isfinite(huge).all()


def test_log_step_is_consistent_with_the_x_coordinate_sde() -> None:
    # Generic (not GBM) diffusion: CIR-like b = κ(θ - y), σ = c √y. One log step over h must have
    # E[Δy] = b h + O(h²) and Var[Δy] = σ² h + O(h²) (Itô's formula is what puts the -½σ²/y² term in
    # log coordinates). n = 400k, h = 0.01: the standard error of the mean is 1.4% of b h and the
    # O(h) bias is ~1.3% (measured), so 8% of b h is safe; dropping the Itô term shifts the mean by
    # ½σ²/y · h = 0.18 h, i.e. +30% of b h = 0.6 h, and fails. Variance: 5% (s.e. 0.2%, bias 1.4%).
    n, h = 400_000, torch.tensor(1e-2, dtype=torch.float64)
    g = torch.Generator().manual_seed(2)
    y = torch.full((n, 1), 0.8, dtype=torch.float64)
    b, sig = 1.5 * (1.2 - y), 0.6 * y.sqrt()
    xi = torch.randn(n, 1, generator=g, dtype=torch.float64)
    dy = PositiveOrthant(1, resolved=0.25).step(y, b, sig, h, xi) - y
    assert abs(dy.mean().item() - (b[0] * h).item()) < 0.08 * abs((b[0] * h).item())
    assert abs(dy.var().item() - (sig[0] ** 2 * h).item()) < 0.05 * (sig[0] ** 2 * h).item()


def test_deterministic_step_moves_along_the_velocity() -> None:
    # σ = 0 (probability-flow ODE): log y' = log y + (v/y) h, so y' = y + v h + O(h²).
    y = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    v = torch.tensor([[0.3, -0.5]], dtype=torch.float64)
    h = torch.tensor(1e-4, dtype=torch.float64)
    out = PositiveOrthant(2).step(y, v, 0.0, h, torch.zeros_like(y))
    torch.testing.assert_close((out - y) / h, v, atol=1e-3, rtol=0)
    assert math.isclose(PositiveOrthant(2).dim, 2)


def test_near_the_axis_the_step_is_the_symmetrised_x_step() -> None:
    # CIR coefficients b = 1 - y, σ = √y. At y = 1e-3, h = 1e-3 the z step is unresolved
    # ((σ/y)² h = h/y = 1 > 1/4): the step is |y + b h + σ √h ξ|, whose mean is b h up to the
    # reflection of the draws with ξ < -2 (+1.7% of b h in closed form, +1.9% measured) and whose
    # variance is σ² h up to the same reflection (-6.8%, measured -7.3%); n = 400k gives standard
    # errors of 0.2%. The pure log step (resolved = inf) has E[Δy] = y (e^{b h / y} - 1) = 1.7 b h.
    n, h = 400_000, torch.tensor(1e-3, dtype=torch.float64)
    g = torch.Generator().manual_seed(3)
    y = torch.full((n, 1), 1e-3, dtype=torch.float64)
    b, sig = 1 - y, y.sqrt()
    xi = torch.randn(n, 1, generator=g, dtype=torch.float64)
    out = PositiveOrthant(1, resolved=0.25).step(y, b, sig, h, xi)
    assert (out > 0).all()
    bh = (b[0] * h).item()
    assert abs((out - y).mean().item() - bh) < 0.05 * bh
    assert abs((out - y).var().item() / (sig[0] ** 2 * h).item() - 1) < 0.1
    logged = PositiveOrthant(1).step(y, b, sig, h, xi)
    assert (logged - y).mean().item() > 1.5 * bh


def test_near_the_axis_the_step_cannot_explode() -> None:
    # From y = 1e-4 with h = 1e-2 the pure log step is z' = log y + (1/2y - 1) h + √(h/y) ξ
    # = log y + 50 + 10 ξ: past e^{36} (the float clamp, 5e15) for half the draws, as in the
    # issue's 2e15. The resolved step moves y by at most |b h + σ √h ξ| <= h + 6e-3 for |ξ| <= 6.
    g = torch.Generator().manual_seed(4)
    y = torch.full((10_000, 1), 1e-4)
    b, sig, h = 1 - y, y.sqrt(), torch.tensor(1e-2)
    xi = torch.randn(10_000, 1, generator=g).clamp(-6, 6)
    assert PositiveOrthant(1, resolved=0.25).step(y, b, sig, h, xi).max() <= 1e-4 + 1e-2 + 6e-3
    assert PositiveOrthant(1).step(y, b, sig, h, xi).median() > 1e15
    with pytest.raises(ValueError, match="resolved"):
        PositiveOrthant(1, resolved=0.0)
