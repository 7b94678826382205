"""IGSO(3) angle law: normalisation, series vs small-time form, score, exact sampler, KL."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from dmm.processes import igso3

BS = [1e-4, 1e-2, 0.1, 0.3, 0.49, 0.51, 1.0, 3.0, 10.0]


@pytest.mark.parametrize("B", BS)
def test_angle_density_integrates_to_one(B):
    w = torch.linspace(0, math.pi, 200001, dtype=torch.float64)
    # trapezoid on 2e5 points: error ~ h² g'' ≪ 1e-6 even for B = 1e-4 (width √B = 0.01 ≫ h)
    assert torch.trapezoid(igso3.angle_density(w, B), w).item() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("B", [0.02, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0])
def test_series_agrees_with_small_time_form(B):
    w = torch.linspace(0, math.pi, 2001, dtype=torch.float64)
    series, small = igso3.series(w, B, L=400), igso3.small_time(w, B)
    # the series cancels terms of size f(0): its absolute error is ~1e-15 f(0), so compare on that
    # scale everywhere, and relatively where f is not tiny (the image form's own error is
    # (2π)²/B e^{-2π²/B} near ω = 0, below 1e-7 for B ≤ 1)
    image_error = (2 * math.pi) ** 2 / B * math.exp(-2 * math.pi**2 / B)
    assert ((series - small).abs().max() / series.max()).item() < max(1e-12, image_error)
    big = series > 1e-6 * series.max()
    assert ((series - small).abs() / small)[big].max().item() < 1e-6


def test_heat_kernel_limits():
    # B → ∞: uniform (f = 1); f(0; B) = Σ (2l+1)² e^{-l(l+1)B/2} exactly from the series
    w = torch.linspace(0, math.pi, 11, dtype=torch.float64)
    torch.testing.assert_close(igso3.density(w, 60.0), torch.ones_like(w))
    exact0 = sum((2 * l + 1) ** 2 * math.exp(-l * (l + 1) * 2.0 / 2) for l in range(50))
    assert igso3.density(torch.tensor(0.0), 2.0).item() == pytest.approx(exact0, rel=1e-12)


@pytest.mark.parametrize("B", [1e-3, 0.1, 0.49, 0.51, 2.0])
def test_score_over_angle_matches_finite_differences(B):
    w = torch.linspace(0.02, math.pi - 0.02, 300, dtype=torch.float64)
    h = 1e-5
    fd = (igso3.log_density(w + h, B) - igso3.log_density(w - h, B)) / (2 * h) / w
    q = igso3.score_over_angle(w, B)
    # central differences: O(h²) truncation, ~1e-16/h rounding on log f
    torch.testing.assert_close(q, fd, rtol=1e-6, atol=1e-6)
    # at ω = 0 the limit f''(0)/f(0) = -Σ m² c_m / Σ c_m = -(2/3) Σ l(l+1)(2l+1)a_l / Σ(2l+1)a_l
    ell = torch.arange(400, dtype=torch.float64)
    a = (2 * ell + 1) * torch.exp(-ell * (ell + 1) * B / 2)
    limit = -(ell * (ell + 1) * (2 * ell + 1) * a).sum() / (3 * ((2 * ell + 1) * a).sum())
    assert igso3.score_over_angle(torch.tensor(0.0), B).item() == pytest.approx(
        limit.item(), rel=1e-5
    )


@pytest.mark.parametrize("B", [1e-3, 0.2, 0.49, 0.7, 2.5])
def test_sampler_reproduces_angle_law(B):
    n = 20000
    w = igso3.sample_angle(
        torch.full((n,), B, dtype=torch.float64), torch.Generator().manual_seed(0)
    )
    grid, cdf = igso3.angle_cdf_grid(torch.tensor([B]), 20001)
    p = stats.kstest(w.numpy(), lambda x: np.interp(x, grid[0].numpy(), cdf[0].numpy())).pvalue
    assert p > 1e-3  # fixed seed; failure budget 1e-3 per case under the null
    # characters: E χ_1(ω) = E[1 + 2 cos ω] = 3 e^{-B}; 5 standard errors
    chi = 1 + 2 * torch.cos(w)
    assert abs(chi.mean().item() - 3 * math.exp(-B)) < 5 * chi.std().item() / math.sqrt(n)


def test_kl_to_haar_matches_chi_square_expansion():
    # f = 1 + δ, δ = Σ_{l≥1} (2l+1) e^{-l(l+1)B/2} χ_l: KL = E_Haar[½δ² - δ³/6 + δ⁴/12 - …] with
    # E χ_l χ_m = [l = m], E χ_1³ = 1, E χ_1⁴ = 3 (multiplicities of the trivial representation)
    B = 5.0
    chi2 = sum((2 * l + 1) ** 2 * math.exp(-l * (l + 1) * B) for l in range(1, 20))
    expected = 0.5 * chi2 - 27 * math.exp(-3 * B) / 6 + 81 * 3 * math.exp(-4 * B) / 12
    assert igso3.kl_to_haar(B) == pytest.approx(expected, rel=1e-4)  # next terms ~e^{-5B}·10
    assert igso3.kl_to_haar(0.1) > igso3.kl_to_haar(1.0) > igso3.kl_to_haar(3.0) > 0
