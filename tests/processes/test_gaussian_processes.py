"""Gaussian kernels of VP, VE, sub-VP and OU against their generators and their analytic laws."""

import math

import pytest
import torch

from dmm.processes import OU, VE, VP, CosineSchedule, SubVP
from dmm.testing import check_process

PROCESSES = [VP(2), VP(2, CosineSchedule()), VE(2), SubVP(2), OU(2)]
IDS = ["vp", "vp-cosine", "ve", "subvp", "ou"]


@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_kernel_moments_solve_the_sde(process):
    # For dX = f X dt + g dW: dα/dt = f α and d(s²)/dt = 2 f s² + g². Central differences with
    # h = 1e-4 in float64 are accurate to ~1e-7 relative; tolerance 1e-4 relative.
    t = torch.linspace(0.05, 0.95, 19, dtype=torch.float64) * process.T
    h = 1e-4 * process.T
    d_alpha = (process.alpha(t + h) - process.alpha(t - h)) / (2 * h)
    d_var = (process.std(t + h) ** 2 - process.std(t - h) ** 2) / (2 * h)
    f, g2 = process.drift_coeff(t), process.diffusion_sq(t)
    torch.testing.assert_close(d_alpha, f * process.alpha(t), rtol=1e-4, atol=1e-8)
    torch.testing.assert_close(d_var, 2 * f * process.std(t) ** 2 + g2, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_kernel_starts_at_data(process):
    t0 = torch.zeros(1, dtype=torch.float64)
    assert process.alpha(t0).item() == pytest.approx(1.0)
    assert process.std(t0).item() ** 2 == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_transition_sampler_matches_normal_law(process):
    # KS statistic of the standardised samples against N(0,1): with n = 20000 the 1e-3 critical
    # value is 1.95/sqrt(n) = 0.0138.
    g = torch.Generator().manual_seed(1)
    n = 20000
    x0 = torch.tensor([[0.7, -1.2]]).expand(n, 2)
    t = torch.full((n,), 0.4 * process.T)
    xt = process.sample_transition(x0, t, g)
    z = ((xt - process.alpha(t)[:, None] * x0) / process.std(t)[:, None]).flatten().double()
    z_sorted = torch.sort(z).values
    cdf = 0.5 * (1 + torch.erf(z_sorted / math.sqrt(2)))
    emp = torch.arange(1, len(z) + 1, dtype=torch.float64) / len(z)
    assert (cdf - emp).abs().max().item() < 1.95 / math.sqrt(len(z))


@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_check_suite_passes(process):
    x0 = torch.tensor([[0.5, -1.0], [1.5, 0.3]])
    results = check_process(process, x0, n=20000)
    assert all(r.applicable for r in results)


def test_terminal_kl_matches_closed_form_and_monte_carlo():
    # KL(N(a x0, s² I) || N(0, I)) in d = 2, by the formula and by Monte Carlo (n = 2e5, SE ~ 3e-3).
    p = VP(2)
    x0 = torch.tensor([[3.0, -2.0]])
    T = torch.tensor([p.T])
    a, s = p.alpha(T).item(), p.std(T).item()
    closed = 0.5 * (2 * (s**2 - 1 - math.log(s**2)) + a**2 * 13.0)
    assert p.terminal_kl(x0).item() == pytest.approx(closed, rel=1e-5)
    g = torch.Generator().manual_seed(0)
    x = p.sample_transition(x0.expand(200000, 2), T.expand(200000), g).double()
    log_p = (-0.5 * ((x - a * x0) / s) ** 2 - math.log(s)).sum(1)
    log_q = (-0.5 * x**2).sum(1)
    assert (log_p - log_q).mean().item() == pytest.approx(closed, abs=0.01)


def test_invalid_parameters_raise():
    with pytest.raises(ValueError):
        VE(2, sigma_min=1.0, sigma_max=0.5)
    with pytest.raises(ValueError):
        VP(2, t_min=2.0)
    with pytest.raises(ValueError):
        VP(0)


def test_terminal_tv_is_pinsker_on_the_kl_and_bounds_the_exact_tv():
    """``Process.terminal_tv``'s default, ``min(1, sqrt(KL/2))``, against the TV of the two 1-D
    normals ``N(α_T x_0, s_T²)`` and ``N(0, 1)`` by quadrature (error below 1e-6): above it, and
    finite for a row far out (x_0 = 50) where the KL is already 0.06 nats."""
    p = VP(1)
    x0 = torch.tensor([[0.0], [1.0], [5.0], [50.0]], dtype=torch.float64)
    tv = p.terminal_tv(x0)
    assert torch.allclose(tv, torch.sqrt(p.terminal_kl(x0) / 2).clamp(max=1.0))
    T = torch.tensor([p.T], dtype=torch.float64)
    a, s = float(p.alpha(T)), float(p.std(T))
    grid = torch.linspace(-12, 12, 200001, dtype=torch.float64)
    for row, bound in zip(x0[:, 0].tolist(), tv.tolist()):
        kernel = torch.exp(-((grid - a * row) ** 2) / (2 * s**2)) / math.sqrt(2 * math.pi * s**2)
        ref = torch.exp(-(grid**2) / 2) / math.sqrt(2 * math.pi)
        exact = float(0.5 * torch.trapezoid((kernel - ref).abs(), grid))
        assert exact <= bound + 1e-6 and bound < 1
