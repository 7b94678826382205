"""Torus jumps with a time-dependent jump size (MATH.md §5d): ``σ_J(t) = σ_min (σ_J/σ_min)^{t/T}``.

The kernel mixes the variances of the jumps that happened, ``x_t = x_0 + (Σ_k σ_J(s_k)²)^{1/2} ξ``,
so its characteristic function is ``exp(-∫_0^t λ(s) (1 - e^{-σ_J(s)²|k|²/2}) ds)``: checked for
the latent kernel, for the generic block-level forward simulation and for the quadrature.
"""

import math

import pytest
import torch
from scipy import integrate

from dmm.processes import GeometricJumpScale
from dmm.processes.schedules import ConstantSchedule, ExponentialSchedule
from dmm.processes.torus_jump import TorusJump


def scaled(d: int = 2, rate=None) -> TorusJump:
    return TorusJump(d, sigma_jump=0.9, sigma_jump_min=0.15, rate=rate or ConstantSchedule(5.0))


def exact_multiplier(p: TorusJump, k2: float, t: float) -> float:
    """``φ_t(k)`` by adaptive quadrature (scipy), independent of the code under test."""

    def integrand(s):
        sigma = p.sigma_jump_min * (p.sigma_jump / p.sigma_jump_min) ** (s / p.T)
        lam = float(p.jumps.jump_rate(torch.tensor(s, dtype=torch.float64)))
        return lam * (1 - math.exp(-0.5 * sigma**2 * k2))

    return math.exp(-integrate.quad(integrand, 0, t, epsabs=1e-12, epsrel=1e-12)[0])


@pytest.mark.parametrize("rate", [ConstantSchedule(5.0), ExponentialSchedule(0.45, 181.5)])
def test_fourier_multiplier_against_adaptive_quadrature(rate):
    p = scaled(1, rate)
    k2 = torch.tensor([1.0, 4.0, 9.0, 25.0], dtype=torch.float64)
    t = torch.tensor([0.05, 0.4, 1.0], dtype=torch.float64)
    got = p.fourier_multiplier(k2, t)
    want = torch.tensor(
        [[exact_multiplier(p, float(k), float(s)) for k in k2] for s in t], dtype=torch.float64
    )
    # 64 Gauss–Legendre nodes on a smooth integrand: relative error below 1e-9
    assert torch.allclose(got, want, rtol=1e-9, atol=0.0), (got / want - 1).abs().max()


def test_constant_size_is_the_old_process():
    a, b = TorusJump(2, sigma_jump=0.6), TorusJump(2, sigma_jump=0.6, sigma_jump_min=0.6)
    assert b.jumps.scale is None and b.sigma_jump_min is None
    assert a.continuous_chi2() == b.continuous_chi2()
    with pytest.raises(ValueError, match="sigma_jump_min"):
        TorusJump(2, sigma_jump=0.6, sigma_jump_min=0.7)


@pytest.mark.parametrize("sampler", ["latent", "simulated"])
def test_characteristic_function_of_the_scaled_kernel(sampler):
    p = scaled(2)
    n, t = 40000, 0.5
    x0 = p.space.uniform(n, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    if sampler == "latent":
        xt = p.sample_marginal(x0, torch.full((n,), t), g)
    else:  # the generic block-level simulation: 10 exact steps, jump times drawn in each
        xt = p.simulate_forward(x0, torch.tensor(t), g, steps=10)
    for k in (1, 2, 3):
        got = torch.cos(k * (xt - x0)).double().mean(0)
        want = exact_multiplier(p, k * k, t)
        # 5 standard errors (the sd of a cosine is at most 0.71)
        assert (got - want).abs().max() < 5 * 0.71 / math.sqrt(n), (k, got, want)
    # the constant-size process with σ_J = 0.9 would give a clearly different value at k = 2
    assert abs(exact_multiplier(p, 4, t) - math.exp(-2.5 * (1 - math.exp(-2 * 0.81)))) > 0.05


def test_latent_variance_is_the_sum_of_the_jump_sizes():
    # E V = ∫_0^t λ(s) σ_J(s)² ds; V ≥ N σ_min² and V ≤ N σ_J(t)²
    p = scaled(1, ExponentialSchedule(0.45, 181.5))
    n, t = 40000, 0.6
    x0 = torch.zeros(n, 1)
    _, latent, atom = p.sample_latent(x0, torch.full((n,), t), torch.Generator().manual_seed(4))
    v = latent[:, -1].double()

    def integrand(s):
        sigma = 0.15 * 6.0 ** (s / p.T)
        return float(p.jumps.jump_rate(torch.tensor(s))) * sigma**2

    mean = integrate.quad(integrand, 0, t)[0]
    se = v.std().item() / math.sqrt(n)
    assert abs(v.mean().item() - mean) < 5 * se, (v.mean().item(), mean, se)
    assert bool((v[atom] == 0).all()) and bool((v[~atom] >= 0.15**2 * (1 - 1e-5)).all())


def test_jump_times_follow_the_rate():
    # given a jump in [t0, t1], its time has CDF (Λ(s) - Λ(t0)) / (Λ(t1) - Λ(t0))
    p = scaled(1, ExponentialSchedule(0.45, 181.5))
    n = 20000
    u = torch.rand(n, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    s = p.jumps.jump_times(u, torch.tensor(0.2), torch.tensor(0.9)).sort().values
    big = p.jumps.jump_integral
    cdf = (big(s) - big(torch.tensor(0.2))) / (big(torch.tensor(0.9)) - big(torch.tensor(0.2)))
    emp = torch.arange(1, n + 1, dtype=torch.float64) / n
    assert float((emp - cdf).abs().max()) < 1.63 / math.sqrt(n)  # KS, 1% level
    assert bool((s >= 0.2).all() and (s <= 0.9).all())


def test_the_law_at_time_t():
    p = scaled(2)
    j, n = p.jumps, 50000
    t = torch.full((n,), 0.3)
    w = j.sample_law(t, (n,), torch.Generator().manual_seed(6), t)
    sigma = 0.15 * 6.0**0.3
    assert abs(w.std().item() - sigma) < 0.01 * sigma
    # log g_t is the N(0, σ_J(t)² I) log density
    want = (-0.5 * (w / sigma) ** 2).sum(-1) - 2 * (math.log(sigma) + 0.5 * math.log(2 * math.pi))
    assert torch.allclose(j.law_log_prob(w, t), want, atol=1e-4)
    assert repr(GeometricJumpScale(0.25)) == "GeometricJumpScale(start=0.25, T=1.0)"


def test_generator_on_fourier_modes_uses_the_size_at_t():
    # L_t cos(k·x) = λ (e^{-σ_J(t)²|k|²/2} - 1) cos(k·x) exactly
    p = scaled(2)
    p.jumps.generator_samples = 40000
    x = p.space.uniform(40, torch.Generator().manual_seed(2)).double()
    k = torch.tensor([1.0, 2.0], dtype=torch.float64)
    got = p.generator_apply(
        lambda z: torch.cos(z @ k), x, torch.full((40,), 0.3, dtype=torch.float64)
    )
    sigma2 = (0.15 * 6.0**0.3) ** 2
    want = 5.0 * (math.exp(-0.5 * sigma2 * 5) - 1) * torch.cos(x @ k)
    # Monte Carlo with 40000 jumps: error about 5 · 0.7 / 200 = 0.018 per point
    assert (got - want).abs().max() < 0.1


def test_terminal_bound_uses_the_scaled_multiplier():
    # χ²_c from the quadrature multiplier equals a direct sum over the lattice in 1-D
    p = TorusJump(1, sigma_jump=0.9, sigma_jump_min=0.15)
    lam = float(p.jumps.jump_integral(torch.tensor(1.0)))
    atom = math.exp(-lam)
    direct = sum(
        2 * ((exact_multiplier(p, k * k, 1.0) - atom) / (1 - atom)) ** 2 for k in range(1, 40)
    )
    assert abs(p.continuous_chi2() - direct) < 1e-9 + 1e-6 * direct


def test_the_oracle_density_shares_coefficients_between_rows_of_the_same_time():
    # many distinct times (the per-time branch, coefficients once per distinct time and |k|²
    # shell) against one row at a time (the shared-coefficient branch): equal to rounding
    from dmm.testing.jump_oracles import standard_torus_mixture

    process = TorusJump(2, sigma_jump=0.9, sigma_jump_min=0.2)
    mix = standard_torus_mixture(2)
    g = torch.Generator().manual_seed(0)
    times = 0.05 + 0.9 * torch.rand(30, generator=g, dtype=torch.float64)
    t = times[torch.randint(0, 30, (90,), generator=g)]
    x = (2 * torch.rand(90, 2, generator=g, dtype=torch.float64) - 1) * math.pi
    together = mix.density(x, process, t)
    alone = torch.cat([mix.density(x[i : i + 1], process, t[i : i + 1]) for i in range(90)])
    torch.testing.assert_close(together, alone, rtol=1e-10, atol=1e-12)


# --- two jump sizes (sigma_jump_small) -------------------------------------------------------------


def two_sizes(d: int = 2) -> TorusJump:
    return TorusJump(d, sigma_jump=0.9, sigma_jump_small=0.15, small_share=0.3)


@pytest.mark.parametrize("sampler", ["latent", "simulated"])
def test_characteristic_function_with_two_jump_sizes(sampler):
    # φ_t(k) = exp(-Λ(t)(1 - 0.3 e^{-0.15² k²/2} - 0.7 e^{-0.9² k²/2})), written out here
    p = two_sizes(2)
    n, t = 40000, 0.5
    x0 = p.space.uniform(n, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    if sampler == "latent":
        xt = p.sample_marginal(x0, torch.full((n,), t), g)
    else:  # the generic block-level simulation with the jump law's own draws
        xt = p.simulate_forward(x0, torch.tensor(t), g, steps=10)
    lam = float(p.jumps.jump_integral(torch.tensor(t, dtype=torch.float64)))
    for k in (1, 2, 3):
        want = math.exp(
            -lam
            * (1 - 0.3 * math.exp(-0.5 * 0.15**2 * k * k) - 0.7 * math.exp(-0.5 * 0.81 * k * k))
        )
        got = torch.cos(k * (xt - x0)).double().mean(0)
        assert (got - want).abs().max() < 5 * 0.71 / math.sqrt(n), (k, got, want)
        mult = p.fourier_multiplier(torch.tensor([float(k * k)]), torch.tensor([t]))
        assert abs(float(mult) - want) < 1e-12


def test_two_sizes_latent_variance_and_arguments():
    # given N jumps, V is a sum of N draws of 0.15² (share 0.3) or 0.9²: E[V | N] = N E v
    p = two_sizes(1)
    n, t = 40000, 0.6
    _, latent, atom = p.sample_latent(
        torch.zeros(n, 1), torch.full((n,), t), torch.Generator().manual_seed(4)
    )
    v = latent[:, -1].double()
    mean = float(p.jumps.jump_integral(torch.tensor(t))) * (0.3 * 0.15**2 + 0.7 * 0.81)
    assert abs(v.mean().item() - mean) < 5 * v.std().item() / math.sqrt(n)
    assert bool((v[atom] == 0).all()) and bool((v[~atom] >= 0.15**2 * (1 - 1e-5)).all())
    assert p.smallest_jump == 0.15
    with pytest.raises(ValueError, match="sigma_jump_small"):
        TorusJump(2, sigma_jump=0.6, sigma_jump_small=0.8)
    with pytest.raises(ValueError, match="do not combine"):
        TorusJump(2, sigma_jump=0.6, sigma_jump_small=0.2, sigma_jump_min=0.1)
