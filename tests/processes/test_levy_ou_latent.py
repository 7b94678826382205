"""Lévy OU latent kernel (Gaussian scale mixtures): law of ``sample_latent`` against the exact
characteristic function, the conditional density, atoms, and the variance-truncated stable law."""

import math

import pytest
import torch
from scipy import integrate, special, stats

from dmm.processes.base import MissingCapability
from dmm.processes.jump_laws import (
    GaussianJumps,
    StableMixtureJumps,
    StudentTJumps,
    TruncatedStableJumps,
)
from dmm.processes.levy_ou import LevyOU

LIKE = torch.empty(0, dtype=torch.float64)


def law_cf(law, u: float) -> float:
    """``E e^{i u w_1}`` of the jump law (real: the laws are symmetric)."""
    u = abs(u)
    if u == 0:
        return 1.0
    if isinstance(law, GaussianJumps):
        return math.exp(-0.5 * law.sigma**2 * u**2)
    if isinstance(law, StudentTJumps):  # Bessel form of the Student-t characteristic function
        z, h = math.sqrt(law.nu) * law.scale * u, law.nu / 2
        return special.kv(h, z) * z**h / (math.gamma(h) * 2 ** (h - 1))
    if isinstance(law, StableMixtureJumps):  # E e^{-V u²/2}, V = ε² Z, P(Z > z) = z^{-α/2}
        a, e2 = law.alpha / 2, law.epsilon**2
        return integrate.quad(
            lambda z: math.exp(-0.5 * e2 * z * u * u) * a * z ** (-1 - a), 1, math.inf
        )[0]
    raise TypeError(law)


def levy_ou_cf(p: LevyOU, u: float, x0: float, t: float) -> tuple[float, float]:
    """``E e^{i u X_t^1}``: OU Brownian part times ``exp(λ ∫_0^t (φ_g(u e^{-θs}) - 1) ds)``."""
    jump = integrate.quad(lambda s: law_cf(p.jump_law, u * math.exp(-p.theta * s)) - 1, 0, t)[0]
    var = p.sigma**2 * (1 - math.exp(-2 * p.theta * t)) / (2 * p.theta)
    mod = math.exp(-0.5 * var * u**2 + p.rate * jump)
    phase = u * x0 * math.exp(-p.theta * t)
    return mod * math.cos(phase), mod * math.sin(phase)


PROCESSES = {
    "gauss": LevyOU(1, GaussianJumps(1, 1.3), rate=2.0, theta=0.7, sigma=0.4),
    "student-t": LevyOU.student_t(2, nu=1.5, scale=0.8, rate=1.5, theta=0.7),
    "stable-mixture": LevyOU.truncated_stable(2, 1.5, 0.5, 1.0, "variance", theta=0.7),
}


@pytest.mark.parametrize("name", list(PROCESSES))
@pytest.mark.parametrize("how", ["latent", "marginal"])
def test_latent_sample_has_the_exact_marginal_law(name, how):
    p, n, t, x0v = PROCESSES[name], 20000, 0.8, 1.5
    x0 = torch.full((n, p.dim), x0v, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    if how == "latent":
        x = p.sample_latent(x0, torch.tensor(t), g)[0]
    else:  # the jump-by-jump simulation (sample() of the law, not sample_scale)
        x = p.sample_marginal(x0, torch.tensor(t), g)
    for u in (0.3, 1.0, 2.0):
        re, im = levy_ou_cf(p, u, x0v, t)
        got_re, got_im = torch.cos(u * x[:, 0]).mean().item(), torch.sin(u * x[:, 0]).mean().item()
        # 5 standard errors: sd of cos/sin ≤ 1, n = 20000 → 0.035
        assert abs(got_re - re) < 0.035 and abs(got_im - im) < 0.035, (u, got_re, re, got_im, im)


@pytest.mark.parametrize("name", list(PROCESSES))
def test_latent_density_is_the_normal_the_sample_came_from(name):
    p, n = PROCESSES[name], 4000
    g = torch.Generator().manual_seed(1)
    x0 = torch.randn(n, p.dim, generator=g, dtype=torch.float64)
    t = p.sample_times(n, g).double()
    y, latent, atom = p.sample_latent(x0, t, g)
    assert torch.allclose(latent[:, :-1], torch.exp(-p.theta * t)[:, None] * x0)
    ok = ~atom
    z = ((y - latent[:, :-1]) / latent[:, -1:].sqrt())[ok].flatten().numpy()
    assert stats.kstest(z, "norm").statistic < 1.63 / math.sqrt(len(z))  # KS at 1%
    want = stats.norm.logpdf(y[ok].numpy(), latent[ok, :-1].numpy(), latent[ok, -1:].sqrt().numpy())
    got = p.latent_log_density(y[ok], latent[ok], t[ok])
    assert torch.allclose(got, torch.tensor(want.sum(1)), atol=1e-8)  # normalised Gaussian


def test_atoms_are_the_no_jump_rows_without_brownian_part():
    p, n, t = PROCESSES["student-t"], 40000, 0.3
    x0 = torch.randn(n, 2, dtype=torch.float64)
    y, latent, atom = p.sample_latent(x0, torch.tensor(t), torch.Generator().manual_seed(2))
    frac, want = atom.double().mean().item(), math.exp(-p.rate * t)
    assert abs(frac - want) < 5 * math.sqrt(want * (1 - want) / n)  # 5 binomial se
    assert torch.equal(y[atom], latent[atom, :-1]) and (latent[~atom, -1] > 0).all()
    assert not PROCESSES["gauss"].sample_latent(x0[:100, :1], torch.tensor(t), None)[2].any()


def test_radial_truncation_has_no_latent_kernel():
    p = LevyOU.truncated_stable(2, 1.5, 0.5, 1.0, "radius")
    assert not p.has_latent_kernel and PROCESSES["stable-mixture"].has_latent_kernel
    with pytest.raises(MissingCapability):
        p.sample_latent(torch.zeros(3, 2), torch.tensor(0.5), None)
    with pytest.raises(ValueError, match="truncation"):
        LevyOU.truncated_stable(2, truncation="box")


@pytest.mark.parametrize("eps", [0.5, 0.2])
def test_both_stable_truncations_approximate_the_stable_exponent(eps):
    # 1-D: the Lévy exponent of m(dw) = c|w|^{-1-α} dw (c = intensity/2) is -C|u|^α,
    # C = 2c ∫_0^∞ (1 - cos r) r^{-1-α} dr = -2c Γ(-α) cos(πα/2). Truncation replaces it by
    # rate (φ_g(u) - 1) - ½σ²u², exact up to O(ε^{4-α} u⁴) for both truncations.
    alpha, intensity = 1.5, 1.0

    def full(u):
        return 2 * (intensity / 2) * math.gamma(-alpha) * math.cos(math.pi * alpha / 2) * u**alpha

    mix = StableMixtureJumps(1, alpha, eps, intensity)
    rad = TruncatedStableJumps(1, alpha, eps, intensity)

    def rad_cf(u):
        # Pareto radius: E cos(u r) = α ε^α ∫_ε^∞ cos(u r) r^{-1-α} dr (oscillatory tail by QUADPACK)
        f = lambda r: math.cos(u * r) * alpha * eps**alpha * r ** (-1 - alpha)  # noqa: E731
        return integrate.quad(f, eps, 50 / u, limit=400)[0] + _cos_tail(u, eps, alpha, 50 / u)

    for u in (0.5, 1.0):
        ex_mix = mix.rate() * (law_cf(mix, u) - 1) - 0.5 * mix.small_jump_variance() * u**2
        ex_rad = rad.rate() * (rad_cf(u) - 1) - 0.5 * rad.small_jump_variance() * u**2
        bound = 0.2 * eps ** (4 - alpha) * u**4 + 1e-6  # ∫_0^ε (w⁴u⁴/24) m(dw) ≈ 0.02 ε^{2.5}u⁴
        assert abs(ex_mix - full(u)) < bound, (u, ex_mix, full(u))
        assert abs(ex_rad - full(u)) < bound, (u, ex_rad, full(u))


def _cos_tail(u, eps, alpha, start):
    """``∫_start^∞ cos(u r) α ε^α r^{-1-α} dr`` by QUADPACK's Fourier-integral routine."""
    return integrate.quad(
        lambda r: alpha * eps**alpha * r ** (-1 - alpha), start, math.inf, weight="cos", wvar=u
    )[0]


def test_check_suite_on_the_variance_truncated_stable_process():
    from dmm.testing import checks

    p = LevyOU.truncated_stable(1, 1.5, 0.5, 1.0, "variance", theta=0.7)
    results = checks.check_process(p, torch.linspace(-2, 2, 8)[:, None], n=4000)
    assert sum(not r.applicable for r in results) == 4  # no conditional score: Stein, reversal n/a
    assert all(r.passed for r in results if r.applicable), [r for r in results if not r.passed]
