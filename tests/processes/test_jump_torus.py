"""Torus jump process: its kernel (Poisson mixture of wrapped normals with an atom), generator and
terminal bound against closed forms, and the generic check-suite."""

import math

import pytest
import torch

from dmm.processes.schedules import ConstantSchedule
from dmm.processes.torus_jump import TorusJump, lattice_shell_counts
from dmm.testing import checks


def continuous_cdf(x: torch.Tensor, lam: float, sigma: float, n_max: int = 200) -> torch.Tensor:
    """CDF on [-π, π) of the jumped part ``Σ_{n≥1} Pois(n; Λ) WN(0, nσ²) / (1 - e^{-Λ})``, via the
    Fourier series of the wrapped normal: ``F(x) = (x + π)/2π + Σ_k e^{-vk²/2} (sin kx +
    ...)/(kπ)``."""
    x = x.to(torch.float64)
    k = torch.arange(1, 200, dtype=torch.float64)
    n = torch.arange(1, n_max, dtype=torch.float64)
    pois = torch.exp(n * math.log(lam) - lam - torch.lgamma(n + 1)) / (1 - math.exp(-lam))
    coef = (pois[:, None] * torch.exp(-0.5 * n[:, None] * sigma**2 * k[None] ** 2)).sum(0)
    # ∫_{-π}^{x} cos(k s) ds / π = (sin(kx) - sin(-kπ)) / (kπ) = sin(kx)/(kπ)
    return (x + math.pi) / (2 * math.pi) + (coef * torch.sin(k * x[:, None]) / (k * math.pi)).sum(1)


def ks(samples: torch.Tensor, cdf: torch.Tensor) -> float:
    n = samples.numel()
    emp = torch.arange(1, n + 1, dtype=torch.float64) / n
    return float(torch.maximum((emp - cdf).abs(), (emp - 1 / n - cdf).abs()).max())


@pytest.mark.parametrize("sampler", ["exact", "simulated"])
def test_kernel_atom_and_continuous_part(sampler):
    p = TorusJump(1, sigma_jump=0.8, rate=ConstantSchedule(10.0))
    n, t = 40000, 0.12  # Λ = 1.2: atom mass e^{-1.2} = 0.301
    x0 = torch.full((n, 1), 0.7)
    g = torch.Generator().manual_seed(3)
    if sampler == "exact":
        xt = p.sample_marginal(x0, torch.full((n,), t), g)
    else:  # generic block-level simulation: 12 exact compound-Poisson steps
        xt = p.simulate_forward(x0, torch.tensor(t), g, steps=12)
    atom = (xt == x0).all(1)
    lam = 10 * t
    frac, want = atom.double().mean().item(), math.exp(-lam)
    # binomial standard error is 0.0023; 5 of them
    assert abs(frac - want) < 5 * math.sqrt(want * (1 - want) / n)
    jumped = p.space.wrap(xt[~atom, 0] - 0.7).sort().values
    stat = ks(jumped, continuous_cdf(jumped, lam, 0.8))
    # KS: 1.63/sqrt(n) is the 1% critical value; n ≈ 28000 gives 0.0098
    assert stat < 1.63 / math.sqrt(jumped.numel()), stat


def test_characteristic_function_of_the_kernel():
    # E cos(k (X_t - x_0)) = exp(-Λ(t) (1 - e^{-σ²k²/2})) in each coordinate
    p = TorusJump(2, sigma_jump=0.5, rate=ConstantSchedule(4.0))
    n = 50000
    x0 = p.space.uniform(n, torch.Generator().manual_seed(0))
    t = torch.full((n,), 0.6)
    xt = p.sample_marginal(x0, t, torch.Generator().manual_seed(1))
    for k in (1, 2, 3):
        got = torch.cos(k * (xt - x0)).double().mean(0)
        want = math.exp(-2.4 * (1 - math.exp(-0.125 * k * k)))
        assert (got - want).abs().max() < 5 * 0.71 / math.sqrt(
            n
        )  # 5 standard errors (sd of cos ≤ 0.71)


def test_generator_on_fourier_modes():
    # L cos(k·x) = λ (e^{-σ²|k|²/2} - 1) cos(k·x) exactly
    p = TorusJump(2, sigma_jump=0.6, rate=ConstantSchedule(5.0))
    p.jumps.generator_samples = 40000
    x = p.space.uniform(40, torch.Generator().manual_seed(2)).double()
    k = torch.tensor([1.0, 2.0], dtype=torch.float64)
    got = p.generator_apply(
        lambda z: torch.cos(z @ k), x, torch.full((40,), 0.3, dtype=torch.float64)
    )
    want = 5.0 * (math.exp(-0.18 * 5) - 1) * torch.cos(x @ k)
    # Monte Carlo with 40000 jumps: error ≈ 5·0.7/200 = 0.018 per point; allow 0.1 (want is up
    # to 2.97)
    assert (got - want).abs().max() < 0.1


def test_continuous_chi2_matches_direct_integral_in_1d():
    p = TorusJump(1, sigma_jump=0.7, rate=ConstantSchedule(3.0))
    lam = 3.0
    x = torch.linspace(-math.pi, math.pi, 4001, dtype=torch.float64)[:-1]
    k = torch.arange(1, 60, dtype=torch.float64)
    n = torch.arange(1, 80, dtype=torch.float64)
    pois = torch.exp(n * math.log(lam) - lam - torch.lgamma(n + 1)) / (1 - math.exp(-lam))
    ck = (pois[:, None] * torch.exp(-0.5 * n[:, None] * 0.49 * k[None] ** 2)).sum(0)
    density = 1 + 2 * (ck * torch.cos(k * x[:, None])).sum(1)
    chi2 = float(((density - 1) ** 2).mean())
    assert p.continuous_chi2() == pytest.approx(chi2, rel=1e-8)
    rep = p.terminal_report(data_kl=math.log(2))
    assert rep["atom_mass"] == pytest.approx(math.exp(-3.0))
    assert rep["bound"] == pytest.approx(
        math.exp(-3) * math.log(2) + (1 - math.exp(-3)) * math.log1p(chi2)
    )


def test_lattice_counts_and_2d_chi2_against_a_box_sum():
    assert lattice_shell_counts(2, 25).tolist()[:6] == [1, 4, 4, 0, 4, 8]
    assert lattice_shell_counts(4, 1).tolist() == [1, 8]
    p = TorusJump(2, sigma_jump=0.9, rate=ConstantSchedule(2.5))
    lam, atom = 2.5, math.exp(-2.5)
    kk = torch.arange(-40, 41, dtype=torch.float64)
    k2 = kk[:, None] ** 2 + kk[None] ** 2
    c = (torch.exp(-lam * (1 - torch.exp(-0.5 * 0.81 * k2))) - atom) / (1 - atom)
    assert p.continuous_chi2() == pytest.approx(float((c**2).sum() - 1), rel=1e-8)


def test_check_suite_runs_and_reports_what_does_not_apply():
    p = TorusJump(2)
    x0 = p.space.uniform(8, torch.Generator().manual_seed(0))
    results = checks.check_process(p, x0, n=4000)
    assert sum(not r.applicable for r in results) == 4  # Stein ×3 and the diffusion reversal
    assert all(r.passed for r in results if r.applicable)


def test_bad_parameters():
    with pytest.raises(ValueError):
        TorusJump(2, T=1.0, t_min=2.0)


def test_poisson_inverse_cdf_against_the_pmf():
    from dmm.processes.jumps import poisson_icdf

    u = torch.rand(200000, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    for lam in (0.0, 0.4, 7.0):
        counts = torch.bincount(poisson_icdf(u, torch.full((200000,), lam)), minlength=30)[:30]
        k = torch.arange(30, dtype=torch.float64)
        pmf = torch.exp(torch.special.xlogy(k, torch.tensor(lam)) - lam - torch.lgamma(k + 1))
        # every frequency within 5 binomial standard errors (+1 count)
        se = (200000 * pmf * (1 - pmf)).sqrt()
        assert ((counts - 200000 * pmf).abs() <= 5 * se + 1).all()


def test_poisson_inverse_cdf_is_scipys_quantile_function():
    # exact oracle: the count is the smallest k with CDF(k) >= u, scipy's ppf, for every u of a
    # grid and of random draws, at means from 0 to 200 mixed in one call (per-row means)
    stats = pytest.importorskip("scipy.stats")
    from dmm.processes.jumps import poisson_icdf

    g = torch.Generator().manual_seed(5)
    grid = torch.linspace(1e-12, 1 - 1e-12, 2001, dtype=torch.float64)  # u in (0, 1)
    u = torch.cat([grid, torch.rand(4000, generator=g, dtype=torch.float64)])
    for means in ([0.0], [1e-8, 0.3, 5.0], [30.0, 200.0, 0.0, 2.5]):
        mean = torch.tensor(means, dtype=torch.float64).repeat(len(u) // len(means) + 1)[: len(u)]
        want = stats.poisson.ppf(u.numpy(), mean.numpy())
        assert (poisson_icdf(u, mean).numpy() == want).all()


def test_latent_kernel_is_the_wrapped_normal_of_the_jump_count():
    # Γ = (x_0, N σ_J²): sample_transition is sample_latent's first output (same draws), atoms are
    # exactly the rows with N = 0, and exp(latent_log_density) integrates to 1 over T² (grid
    # quadrature, error e^{-36} by construction of the image sum, tolerance 1e-5 for float32)
    p = TorusJump(2)
    g = torch.Generator().manual_seed(3)
    x0 = p.space.uniform(500, g)
    t = p.sample_times(500, torch.Generator().manual_seed(4))
    xt, latent, atom = p.sample_latent(x0, t, torch.Generator().manual_seed(5))
    assert torch.equal(xt, p.sample_transition(x0, t, torch.Generator().manual_seed(5)))
    assert torch.equal(atom, latent[:, -1] == 0) and torch.equal(xt[atom], x0[atom])
    assert 0 < atom.sum() < 500
    grid = torch.linspace(-torch.pi, torch.pi, 201)[:-1]
    xy = torch.cartesian_prod(grid, grid)
    for var in (0.36, 3.6):
        lat = torch.tensor([[0.5, -3.0, var]]).expand(len(xy), 3)
        mass = p.latent_log_density(xy, lat, torch.zeros(len(xy))).exp().mean()
        assert abs(mass.item() - 1) < 1e-5


def test_the_terminal_term_says_it_is_the_continuous_part():
    """dmm eval called torus-jump's number the mean per-row KL, which the atom makes infinite."""
    from dmm.metrics.report import terminal_term

    term = terminal_term(TorusJump(2), torch.zeros(4, 2))
    assert "continuous part" in term["note"] and "terminal_atom_mass" in term["note"]


@pytest.mark.parametrize("d", [2.5, 0, True])
def test_torus_jump_needs_a_positive_integer_dimension(d):
    """``TorusJump(d=2.5)`` was a process on the 2-torus."""
    with pytest.raises(ValueError, match="whole number of at least 1"):
        TorusJump(d=d)
