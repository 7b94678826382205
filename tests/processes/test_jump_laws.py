"""Jump laws: sampling against exact distribution functions, normalisation of log_prob, and the
truncation constants of the α-stable Lévy measure."""

import math

import pytest
import torch
from scipy import integrate, stats

from dmm.processes.jump_laws import (
    GaussianJumps,
    GaussianMixtureJumps,
    StableMixtureJumps,
    StudentTJumps,
    TruncatedStableJumps,
)

LIKE = torch.empty(0, dtype=torch.float64)


def ks_stat(samples, cdf) -> float:
    return stats.kstest(samples, cdf).statistic


@pytest.mark.parametrize("nu,d", [(1.5, 1), (3.0, 2), (1.5, 8)])
def test_student_t_radius_follows_the_f_distribution(nu, d):
    law = StudentTJumps(d, nu, scale=2.0)
    w = law.sample((20000,), torch.Generator().manual_seed(0), LIKE)
    f = ((w / 2.0) ** 2).sum(1).numpy() / d  # |w|²/(d s²) ~ F(d, ν)
    # KS 1% critical value 1.63/sqrt(n) = 0.0115
    assert ks_stat(f, stats.f(d, nu).cdf) < 1.63 / math.sqrt(20000)


def test_student_t_log_prob_matches_scipy_and_is_symmetric():
    law = StudentTJumps(1, 1.5, scale=0.7)
    w = torch.linspace(-30, 30, 101, dtype=torch.float64)[:, None]
    want = stats.t(1.5, scale=0.7).logpdf(w[:, 0].numpy())
    assert torch.allclose(law.log_prob(w), torch.tensor(want), atol=1e-10)
    law2 = StudentTJumps(2, 3.0)
    w2 = torch.randn(50, 2, dtype=torch.float64)
    want2 = stats.multivariate_t(loc=[0, 0], shape=torch.eye(2).numpy(), df=3.0).logpdf(w2.numpy())
    assert torch.allclose(law2.log_prob(w2), torch.tensor(want2), atol=1e-10)
    assert torch.allclose(law2.log_prob(-w2), law2.log_prob(w2))


def test_gaussian_jumps():
    law = GaussianJumps(3, 0.5)
    w = law.sample((40000,), torch.Generator().manual_seed(1), LIKE)
    assert abs(w.var().item() - 0.25) < 0.01  # se of a variance with n=120000 is 0.001
    assert law.log_prob(torch.zeros(1, 3, dtype=torch.float64)).item() == pytest.approx(
        -3 * math.log(0.5 * math.sqrt(2 * math.pi))
    )


@pytest.mark.parametrize("d", [1, 2, 5])
def test_truncated_stable_constants_against_the_levy_measure(d):
    alpha, eps, c = 1.5, 0.3, 2.0
    law = TruncatedStableJumps(d, alpha, eps, intensity=c)
    # radial Lévy measure c r^{-1-α} dr: mass beyond ε and second moment below ε (per coordinate)
    mass = integrate.quad(lambda r: c * r ** (-1 - alpha), eps, math.inf)[0]
    second = integrate.quad(lambda r: c * r ** (1 - alpha), 0, eps)[0] / d
    assert law.rate() == pytest.approx(mass, rel=1e-8)
    assert law.small_jump_variance() == pytest.approx(second, rel=1e-8)
    w = law.sample((20000,), torch.Generator().manual_seed(2), LIKE)
    r = w.norm(dim=1).numpy()
    pareto = stats.pareto(alpha, scale=eps)
    assert ks_stat(r, pareto.cdf) < 1.63 / math.sqrt(20000)
    # log_prob is the density of the samples: its radial integral is 1
    sphere = 2 * math.pi ** (d / 2) / math.gamma(d / 2)

    def radial(rr):
        wv = torch.zeros(1, d, dtype=torch.float64)
        wv[0, 0] = rr
        return math.exp(law.log_prob(wv).item()) * sphere * rr ** (d - 1)

    assert integrate.quad(radial, eps, math.inf)[0] == pytest.approx(1.0, rel=1e-6)
    assert law.log_prob(torch.full((1, d), 0.01, dtype=torch.float64)).item() == -math.inf


def test_bad_parameters():
    with pytest.raises(ValueError):
        TruncatedStableJumps(2, 2.5, 0.1)
    with pytest.raises(ValueError):
        StudentTJumps(2, -1.0)
    with pytest.raises(ValueError):
        GaussianJumps(0, 1.0)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_stable_mixture_law_is_normalised_and_matches_its_samples(d):
    law = StableMixtureJumps(d, 1.5, 0.4, intensity=2.0)
    sphere = 2 * math.pi ** (d / 2) / math.gamma(d / 2)

    def radial(rr):
        wv = torch.zeros(1, d, dtype=torch.float64)
        wv[0, 0] = rr
        return math.exp(law.log_prob(wv).item()) * sphere * rr ** (d - 1)

    # the density of √V ξ integrates to 1 (the closed form with the incomplete gamma function)
    total = integrate.quad(radial, 0, 1, limit=200)[0] + integrate.quad(radial, 1, math.inf)[0]
    assert total == pytest.approx(1.0, rel=1e-6)
    w = law.sample((20000,), torch.Generator().manual_seed(3), LIKE)
    r = w.norm(dim=1)
    for cut in (0.3, 1.0, 5.0):  # P(|w| < cut) from the density against the samples, 5 binomial se
        want = integrate.quad(radial, 0, cut, limit=200)[0]
        got = (r < cut).double().mean().item()
        assert abs(got - want) < 5 * math.sqrt(want * (1 - want) / 20000), (cut, got, want)
    # the scales V are Pareto(α/2) above ε²: P(V > v) = (v/ε²)^{-α/2}; KS at 1%
    v = law.sample_scale((20000,), torch.Generator().manual_seed(4), LIKE).numpy()
    assert ks_stat(v, stats.pareto(0.75, scale=0.16).cdf) < 1.63 / math.sqrt(20000)
    # the continuous series/direct switch at |w|²/2ε² = 1e-3
    near = torch.tensor([[0.0178], [0.0179]], dtype=torch.float64) * torch.ones(1, d)
    near = near / math.sqrt(d)
    lp = law.log_prob(near)
    assert abs(lp[0] - lp[1]).item() < 1e-4


def test_scale_mixture_declarations():
    like = torch.empty(0, dtype=torch.float64)
    g = torch.Generator().manual_seed(5)
    assert GaussianJumps(2, 0.5).sample_scale((3,), g, like).eq(0.25).all()
    assert (
        StudentTJumps(2, 1.5).scale_mixture and not TruncatedStableJumps(2, 1.5, 0.5).scale_mixture
    )
    with pytest.raises(NotImplementedError):
        TruncatedStableJumps(2, 1.5, 0.5).sample_scale((3,), g, like)
    # V = ν s²/χ²_ν: the median of V is ν s²/median(χ²_ν); 5 se of a sample median
    v = StudentTJumps(1, 3.0, scale=2.0).sample_scale((40000,), g, like)
    want = 3.0 * 4.0 / stats.chi2(3.0).median()
    assert abs(v.median().item() / want - 1) < 0.03


def test_gaussian_mixture_jumps_are_normalised_and_match_their_samples():
    law = GaussianMixtureJumps(1, (0.2, 1.0), (1.0, 3.0))  # weights normalised to 0.25, 0.75
    assert law.weights == (0.25, 0.75)
    total = integrate.quad(
        lambda w: math.exp(law.log_prob(torch.tensor([[w]], dtype=torch.float64)).item()), -12, 12
    )
    assert abs(total[0] - 1) < 1e-8
    # KS against the mixture's CDF; sample scales are 0.04 (share 0.25) or 1
    g = torch.Generator().manual_seed(2)
    w = law.sample((20000,), g, LIKE)[:, 0].numpy()

    def cdf(x):
        return 0.25 * stats.norm.cdf(x / 0.2) + 0.75 * stats.norm.cdf(x)

    assert ks_stat(w, cdf) < 1.63 / math.sqrt(20000)  # 1% level
    v = law.sample_scale((20000,), g, LIKE)
    assert (
        set(v.unique().tolist()) == {0.2**2, 1.0}
        and abs(float((v < 0.5).double().mean()) - 0.25) < 0.02
    )
    k2 = torch.tensor([0.0, 1.0, 4.0], dtype=torch.float64)
    want = 0.25 * torch.exp(-0.02 * k2) + 0.75 * torch.exp(-0.5 * k2)
    torch.testing.assert_close(law.characteristic(k2), want)
    with pytest.raises(ValueError, match="as many"):
        GaussianMixtureJumps(1, (0.2,), (0.5, 0.5))
