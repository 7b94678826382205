"""GBM and geometric OU against exact oracles (MATH.md §6, §9): log-normal kernels, the check-suite,
the log-coordinate backward SDE, the exact Tweedie step and the terminal KL."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from dmm.processes import GBM, GeometricOU
from dmm.processes.base import expand_time
from dmm.reversal import Reversal, backward_drift
from dmm.samplers import EulerMaruyama, simulate
from dmm.testing import ConditionalScoreOracle, check_dynkin, check_process, check_stein

X0 = torch.tensor([[0.05, 2.0], [1.0, 0.3]])


def _gbm() -> GBM:
    return GBM(2, sigma=torch.tensor([0.8, 0.5]), mu=torch.tensor([0.1, -0.2]))


def _gou() -> GeometricOU:
    return GeometricOU(2, theta=1.3, m=torch.tensor([0.2, -0.5]), sigma=0.7, T=2.0)


def _log_law(p, x0: torch.Tensor, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of log X_t | x0 written out from MATH.md §6 (independent of log_kernel)."""
    z0 = torch.log(x0)
    if isinstance(p, GBM):
        return z0 + (p.mu - p.sigma**2 / 2) * t, (p.sigma**2 * t).expand_as(z0)
    e = math.exp(-p.theta * t)
    return p.m + (z0 - p.m) * e, (p.sigma**2 * (1 - e**2) / (2 * p.theta)).expand_as(z0)


@pytest.mark.parametrize("make", [_gbm, _gou])
def test_kernel_is_the_lognormal_law(make) -> None:
    # KS of standardised log-samples against N(0, 1): fixed seed, p > 1e-3 (fails for a 3% error
    # in the log-std at n = 20000, KS power ≈ 1).
    p, n, t = make(), 20_000, 0.7
    x0 = X0[:1].expand(n, 2)
    x = p.sample_transition(x0, expand_time(t, n, x0), torch.Generator().manual_seed(0))
    assert (x > 0).all()
    mean, var = _log_law(p, x0[:1], t)
    u = (torch.log(x) - mean) / var.sqrt()
    for i in range(2):
        assert stats.kstest(u[:, i].numpy(), "norm").pvalue > 1e-3


@pytest.mark.parametrize("make", [_gbm, _gou])
def test_forward_simulation_of_the_generator_matches_the_kernel(make) -> None:
    # The x-coordinate drift and diffusion, simulated with 200 log-coordinate Euler steps, against
    # exact kernel samples: two-sample KS per coordinate, p > 1e-3 (EM bias O(h) = 0.5% of the std).
    p, n, t = make(), 20_000, 1.0
    x0 = X0[1:].expand(n, 2)
    sim = p.simulate_forward(x0, torch.tensor(t), torch.Generator().manual_seed(1), steps=200)
    exact = p.sample_transition(x0, expand_time(t, n, x0), torch.Generator().manual_seed(2))
    for i in range(2):
        assert stats.ks_2samp(sim[:, i].numpy(), exact[:, i].numpy()).pvalue > 1e-3


def test_check_process_passes_where_the_process_mixes() -> None:
    # the geometric OU of _gou run to T = 6 (e^{-θT} = 4e-4) reaches its stationary reference
    p = GeometricOU(2, theta=1.3, m=torch.tensor([0.2, -0.5]), sigma=0.7, T=6.0)
    results = check_process(p, X0, n=20_000)
    assert all(r.applicable for r in results)


@pytest.mark.parametrize("make", [_gbm, _gou])
def test_check_process_reports_a_reference_that_is_not_reached(make) -> None:
    # Every other check passes, but on X0 p_T is visibly not q: GBM has no stationary law (its
    # reference only matches the log-moments of X_T on training data; on these two points p_T is a
    # two-bump mixture, terminal KL 2.3) and the geometric OU at T = 2 keeps e^{-θT} = 7% of
    # log x_0 (terminal KL 0.09). Energy distance 0.87 and 0.039 against tolerances 0.012 and 0.01.
    results = check_process(make(), X0, n=20_000, raise_on_failure=False)
    assert all(r.applicable for r in results)
    assert [r.name for r in results if not r.passed] == [
        "forward process reaches its reference at T"
    ]


class _ScoreWithoutJacobian(GBM):
    """Mutant: forgets the -1/x term of the conditional score (the log-normal Jacobian)."""

    def conditional_score(self, xt, x0, t):
        return super().conditional_score(xt, x0, t) + 1 / xt


class _DriftWithoutIto(GBM):
    """Mutant: x-drift μx, but with the Itô term ½σ²x left out of the log-drift bookkeeping."""

    def drift(self, x, t):
        return super().drift(x, t) - 0.5 * self.log_sigma(t) ** 2 * x


def test_checks_catch_mutants() -> None:
    x0 = X0.repeat(10_000, 1)
    t = 0.3
    assert not check_stein(_ScoreWithoutJacobian(2, sigma=0.8), x0, t, k=1).passed
    dynkin = [check_dynkin(_DriftWithoutIto(2, sigma=0.8), x0, t, h=0.02, k=k) for k in range(3)]
    assert not all(r.passed for r in dynkin)


class _AnyScore(torch.nn.Module):
    def score(self, y, t, context=None):
        return torch.sin(3 * y) - y**2 + t[:, None]


@pytest.mark.parametrize("make", [_gbm, _gou])
def test_log_step_of_the_generic_reversal_is_the_math_md_formula(make) -> None:
    # MATH.md §6: dz = [-a(z) + σ² + σ² y ⊙ s] dτ + σ dW, a the drift of log X. The generic
    # backward drift (-b + ∇·D + D s) stepped by the orthant's Itô rule must give exactly this.
    p = make()
    g = torch.Generator().manual_seed(3)
    y = torch.rand(64, 2, generator=g, dtype=torch.float64) * 3 + 0.01
    t = torch.rand(64, generator=g, dtype=torch.float64) * p.T
    xi = torch.randn(64, 2, generator=g, dtype=torch.float64)
    h = torch.tensor(1e-2, dtype=torch.float64)
    rev = Reversal(p, _AnyScore())
    out = p.space.step(y, backward_drift(rev, y, t), p.diffusion(y, t), h, xi)
    z, s, sig = torch.log(y), rev.score(y, t), p.sigma.double()
    a = p.mu - sig**2 / 2 if isinstance(p, GBM) else p.theta * (p.m.double() - z)
    expected = z + (-a + sig**2 + sig**2 * y * s) * h + sig * h.sqrt() * xi
    torch.testing.assert_close(torch.log(out), expected)


@pytest.mark.parametrize("make", [_gbm, _gou])
def test_backward_sde_with_exact_score_reaches_the_kernel_at_t_min(make) -> None:
    # Point-mass data ⇒ ∇log p_t = conditional score. Simulate the log-coordinate backward SDE from
    # exact p_{T|0} samples all the way to t_min on a geometric grid (h/t ≈ 3% per step, so the
    # Euler bias is a few % of the spread at t_min); the log-samples must be
    # N(mean(t_min), v(t_min)): standardised values against N(0,1), KS p > 1e-3. A uniform grid
    # fails this (h > t_min).
    # Then the exact Tweedie step in log coordinates returns x0 from any y (float tolerance).
    p, n, steps = make(), 4000, 250
    point = X0[:1]
    xs = point.expand(n, 2)
    g = torch.Generator().manual_seed(4)
    start = p.sample_transition(xs, expand_time(p.T, n, xs), g)
    rev = Reversal(p, ConditionalScoreOracle(p, point))
    grid = torch.logspace(math.log10(p.T), math.log10(p.t_min), steps + 1)
    y = simulate(rev, EulerMaruyama(), n, generator=g, y_init=start, grid=grid)
    assert (y > 0).all()
    mean, var = _log_law(p, point, p.t_min)
    u = (torch.log(y) - mean) / var.sqrt()
    for i in range(2):
        assert stats.kstest(u[:, i].numpy(), "norm").pvalue > 1e-3
    x0_hat = p.denoise(rev, y, expand_time(p.t_min, n, y))
    torch.testing.assert_close(x0_hat, xs, rtol=1e-4, atol=0)


@pytest.mark.parametrize("make", [_gbm, _gou])
def test_terminal_kl_matches_monte_carlo(make) -> None:
    # KL(p_{T|0}(·|x0) || q) = E[log p_{T|0}(X|x0) - log q(X)], X ~ p_{T|0}: 200k draws per point,
    # log-normal density written out here; tolerance 5 standard errors + 1e-4.
    p, n = make(), 200_000
    for x0 in X0:
        xs = x0[None].expand(n, 2)
        x = p.sample_transition(xs, expand_time(p.T, n, xs), torch.Generator().manual_seed(5))
        mean, var = _log_law(p, x0[None], p.T)
        z = torch.log(x)
        log_p = (-0.5 * (z - mean) ** 2 / var - 0.5 * torch.log(2 * math.pi * var) - z).sum(1)
        diff = (log_p - p.reference.log_prob(x)).double()
        mc, se = diff.mean().item(), diff.std().item() / math.sqrt(n)
        closed = p.terminal_kl(x0[None]).item()
        assert abs(mc - closed) < 5 * se + 1e-4, (mc, closed, se)


def test_gbm_reference_matches_log_moments_of_x_T() -> None:
    # q's log-mean and log-variance are those of log X_T over the training data (MATH.md §6);
    # 100k data × 1 draw: tolerance 4 standard errors.
    g = torch.Generator().manual_seed(6)
    data = torch.exp(torch.randn(100_000, 2, generator=g) * torch.tensor([0.5, 2.0]) + 1.0)
    p = GBM.from_data(data, sigma=1.5)
    z = torch.log(p.sample_transition(data, expand_time(p.T, len(data), data), g)).double()
    ref_mean, ref_std = p.reference.log_mean.double(), p.reference.log_std.double()
    assert ((z.mean(0) - ref_mean).abs() < 4 * ref_std / math.sqrt(len(z))).all()
    assert ((z.std(0) / ref_std - 1).abs() < 4 / math.sqrt(2 * len(z))).all()


def test_geometric_ou_from_data_has_the_data_log_moments_as_reference() -> None:
    g = torch.Generator().manual_seed(7)
    data = torch.exp(torch.randn(5000, 3, generator=g) * torch.tensor([0.3, 1.0, 3.0]) - 2.0)
    p = GeometricOU.from_data(data, theta=2.0)
    z = torch.log(data)
    torch.testing.assert_close(p.reference.log_mean, z.mean(0))
    torch.testing.assert_close(p.reference.log_std, z.std(0))
    # the mean terminal KL is ½(-log(1-α²) - α²(1 - mean û²)) ≈ α²/2 per coordinate, α = e^{-θT}
    assert p.terminal_kl(data).mean().item() < 3 * 0.5 * math.exp(-2 * 2.0 * p.T)


def test_from_data_refuses_rows_off_the_orthant():
    """GBM.from_data on data with negatives built a process of NaN log-moments, silently."""
    from dmm.spaces import SupportError

    bad = torch.rand(50, 2) + 0.1
    bad[[4, 9], 0] = -1.0
    for cls in (GBM, GeometricOU):
        with pytest.raises(SupportError, match=r"in 2 row\(s\): 4, 9"):
            cls.from_data(bad)
