"""Brownian motion on the torus and on SO(3): kernels, scores, generators, walks and reversal."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from dmm.processes import igso3
from dmm.processes.manifold_brownian import (
    GeometricSchedule,
    Haar,
    SO3Brownian,
    TorusBrownian,
    wrapped_normal_log_prob,
    wrapped_normal_score,
)
from dmm.samplers import FlowHeun, PredictorCorrector
from dmm.spaces.so3 import SO3, rotation_angle
from dmm.testing.checks import check_process, check_reversal


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# --- wrapped normal ------------------------------------------------------------------------------


@pytest.mark.parametrize("var", [0.1, 1.0, 4.0, 20.0])
def test_wrapped_normal_matches_fourier_series(var):
    # independent oracle: 2π p(δ) = 1 + 2 Σ_n e^{-n² var/2} cos(nδ) (density w.r.t. dx/2π); the
    # Fourier sum cancels terms of size p(0), so compare densities absolutely (1e-12 p(0)) and the
    # score only where p is not tiny
    d = torch.linspace(-math.pi, math.pi - 1e-9, 501, dtype=torch.float64)
    n = torch.arange(1, 200, dtype=torch.float64)
    four = 1 + 2 * (torch.exp(-(n**2) * var / 2) * torch.cos(n * d[:, None])).sum(1)
    dfour = -2 * (n * torch.exp(-(n**2) * var / 2) * torch.sin(n * d[:, None])).sum(1)
    v = torch.full_like(d, var)
    dens = wrapped_normal_log_prob(d, v).exp()
    torch.testing.assert_close(dens, four, rtol=0, atol=1e-12 * four.max().item())
    big = four > 1e-6 * four.max()
    torch.testing.assert_close(
        wrapped_normal_score(d, v)[big], (dfour / four)[big], rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("var", [1e-3, 0.1, 1.0, 20.0])
def test_wrapped_normal_score_matches_finite_differences(var):
    d = torch.linspace(-math.pi + 0.01, math.pi - 0.01, 400, dtype=torch.float64)
    v, h = torch.full_like(d, var), 1e-6
    fd = (wrapped_normal_log_prob(d + h, v) - wrapped_normal_log_prob(d - h, v)) / (2 * h)
    torch.testing.assert_close(wrapped_normal_score(d, v), fd, rtol=1e-6, atol=1e-6)


def test_torus_conditional_score_is_periodic_and_has_no_seam():
    p = TorusBrownian(1)
    t = torch.full((2,), 0.9)
    x0 = torch.zeros(2, 1)
    xt = torch.tensor([[math.pi - 1e-6], [-math.pi]])  # the same point seen from both sides
    s = p.conditional_score(xt.double(), x0.double(), t)
    assert abs(s[0].item() - s[1].item()) < 1e-4  # continuous across ±π (score there ≈ 0)


# --- generators: exact eigenfunctions ------------------------------------------------------------


def test_generators_on_eigenfunctions():
    t = torch.full((64,), 0.4)
    # torus: L cos(k·x) = -½β|k|² cos(k·x)
    tor = TorusBrownian(2)
    x = tor.reference.sample(64, _gen())

    def f(z):
        return torch.cos(2 * z[:, 0] - z[:, 1])

    beta = tor.schedule.beta(t)
    torch.testing.assert_close(
        tor.generator_apply(f, x, t), -0.5 * beta * 5 * f(x), rtol=1e-5, atol=1e-5
    )
    # SO(3): matrix entries are Laplacian eigenfunctions with eigenvalue -l(l+1) = -2
    so3 = SO3Brownian()
    r = Haar().sample(64, _gen(1)).double()
    a = torch.randn(3, 3, generator=_gen(2), dtype=torch.float64)

    def g(z):
        return (a * z).sum((-1, -2))

    torch.testing.assert_close(
        so3.generator_apply(g, r, t.double()), -so3.schedule.beta(t.double()) * g(r)
    )


# --- SO(3): kernel and walks ----------------------------------------------------------------------


def test_so3_kernel_mean_and_manifold():
    # E[X_t | x_0] = x_0 e^{-B(t)} (l = 1 eigenvalue); samples are rotations to float precision
    p, n = SO3Brownian(), 20000
    x0 = Haar().sample(1, _gen()).expand(n, 3, 3)
    t = torch.full((n,), 0.6)
    xt = p.sample_transition(x0, t, _gen(1))
    mean = xt.double().mean(0)
    se = xt.double().std(0).max().item() / math.sqrt(n)
    assert (mean - x0[0].double() * math.exp(-p.variance_time(t[:1]).item())).abs().max() < 5 * se
    eye = torch.eye(3)
    assert (xt.transpose(1, 2) @ xt - eye).abs().max() < 1e-6  # float32 ulps
    assert (torch.linalg.det(xt) - 1).abs().max() < 1e-6


@pytest.mark.parametrize("t", [0.5, 0.8])
def test_geodesic_random_walk_reproduces_igso3_angle_law(t):
    # forward Euler–Maruyama on SO(3) (geodesic steps exp(√(βh) ξ^)) from the identity; the walk
    # has an O(h) weak error, so with 200 steps and n = 4000 a KS test at budget 1e-3 passes
    # while a wrong normalisation of the hat basis (σ off by √2) fails by orders of magnitude
    p, n = SO3Brownian(), 4000
    x0 = torch.eye(3).expand(n, 3, 3)
    x = p.simulate_forward(x0, torch.tensor(t), _gen(3), steps=200)
    omega = rotation_angle(x.double()).numpy()
    B = p.variance_time(torch.tensor([t], dtype=torch.float64))
    grid, cdf = igso3.angle_cdf_grid(B, 20001)
    pval = stats.kstest(omega, lambda w: np.interp(w, grid[0].numpy(), cdf[0].numpy())).pvalue
    assert pval > 1e-3


def test_so3_conditional_score_matches_finite_differences_of_log_kernel():
    p = SO3Brownian()
    n = 50
    x0 = Haar().sample(n, _gen(4)).double()
    t = torch.rand(n, generator=_gen(5), dtype=torch.float64) * 0.8 + 0.2
    xt = p.sample_transition(x0, t, _gen(6))
    s, h = p.conditional_score(xt, x0, t), 1e-5
    for i in range(3):
        e = torch.zeros(n, 3, dtype=torch.float64)
        e[:, i] = h
        fd = (
            p.log_transition(p.space.exp(xt, e), x0, t)
            - p.log_transition(p.space.exp(xt, -e), x0, t)
        ) / (2 * h)
        torch.testing.assert_close(s[:, i], fd, rtol=1e-4, atol=1e-4)


def test_terminal_kl():
    tor = TorusBrownian(3, GeometricSchedule(0.02, 1.5))
    B = tor.variance_time(torch.tensor(1.0, dtype=torch.float64)).item()
    # KL(WN(B) || U) ≈ ½ χ², χ² = 2 Σ_n e^{-n² B} per coordinate (small deviation)
    chi2 = 2 * sum(math.exp(-k * k * B) for k in range(1, 30))
    assert tor.terminal_kl(torch.zeros(2, 3))[0].item() == pytest.approx(3 * chi2 / 2, rel=0.05)
    so3 = SO3Brownian()
    assert so3.terminal_kl(torch.eye(3)[None])[0].item() == pytest.approx(
        igso3.kl_to_haar(so3.variance_time(torch.tensor(1.0)).item())
    )


# --- the public check-suite and reversal ----------------------------------------------------------


def test_check_process_torus_brownian():
    x0 = torch.tensor([[0.5, -2.0], [3.0, 1.0]])
    results = check_process(TorusBrownian(2), x0, n=4000)
    assert all(r.applicable for r in results)


def test_check_process_so3_brownian():
    # Dynkin uses the Laplace–Beltrami operator through SO3.second_derivatives; the Stein check
    # uses SO3.gradient (body frame); reversal via geodesic Euler–Maruyama
    results = check_process(SO3Brownian(), Haar().sample(2, _gen(7)), n=3000)
    assert all(r.applicable for r in results)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", [PredictorCorrector(), FlowHeun()], ids=["pc", "ode-heun"])
def test_so3_reversal_other_samplers(sampler):
    r = check_reversal(SO3Brownian(), Haar().sample(1, _gen(8)), n=3000, steps=300, sampler=sampler)
    assert r.passed, str(r)


def test_exact_mixture_score_reversal_reproduces_the_mixture():
    # MATH.md §9 oracle on SO(3): p_0 = 4 point masses, the exact score of p_t (IGSO(3) mixture)
    # drives the geodesic Euler–Maruyama sampler from exact p_T samples down to t = 0.3; compare
    # with exact p_{0.3} samples by energy distance (V-statistic) at 3× its noise floor
    from dmm.metrics import energy_distance
    from dmm.processes.manifold_brownian import SO3MixtureScore
    from dmm.reversal import Reversal
    from dmm.samplers import EulerMaruyama, simulate

    p, n, g = SO3Brownian(), 2000, _gen(9)
    modes = Haar().sample(4, _gen(10))

    def exact(t):
        x0 = modes[torch.randint(0, 4, (n,), generator=g)]
        return p.sample_transition(x0, torch.full((n,), t), g)

    grid = torch.linspace(p.T, 0.3, 201)
    y = simulate(
        Reversal(p, SO3MixtureScore(p, modes)),
        EulerMaruyama(),
        n,
        generator=g,
        y_init=exact(p.T),
        grid=grid,
    )
    ref = exact(0.3)
    floor = sum(energy_distance(exact(0.3), ref, unbiased=False) for _ in range(3)) / 3
    assert energy_distance(y, ref, unbiased=False) < 3 * floor

    # a wrong score (half the exact one) is far outside
    class Half(SO3MixtureScore):
        def score(self, y, t, context=None):
            return 0.5 * super().score(y, t, context)

    y_bad = simulate(
        Reversal(p, Half(p, modes)), EulerMaruyama(), n, generator=g, y_init=exact(p.T), grid=grid
    )
    assert energy_distance(y_bad, ref, unbiased=False) > 3 * floor


def test_wrapped_normal_reads_one_variance_per_row():
    # the torus kernel passes var as (n, 1): the result must equal the elementwise one with var
    # expanded to (n, d), rows of both series mixed, and so must the gradients
    var = torch.tensor(
        [[1e-3], [0.5], [math.pi], [math.pi + 1e-9], [5.0], [60.0]], dtype=torch.float64
    )
    d = torch.rand(6, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    d = d * math.pi
    rows = var.clone().requires_grad_(True)
    full = var.expand(6, 7).clone().requires_grad_(True)
    a, b = wrapped_normal_log_prob(d, rows), wrapped_normal_log_prob(d, full)
    torch.testing.assert_close(a, b, rtol=0, atol=1e-13)
    a.sum().backward()
    b.sum().backward()
    torch.testing.assert_close(rows.grad[:, 0], full.grad.sum(1), rtol=1e-12, atol=1e-12)
    # one variance per column (7,), and a delta narrower than var: both series again
    cols = torch.tensor([1e-3, 0.5, 2.0, math.pi + 1e-9, 5.0, 60.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(
        wrapped_normal_log_prob(d, cols),
        wrapped_normal_log_prob(d, cols.expand(6, 7).clone()),
        rtol=0,
        atol=1e-13,
    )
    torch.testing.assert_close(
        wrapped_normal_log_prob(d[:, :1], full.detach()),
        wrapped_normal_log_prob(d[:, :1].expand(6, 7).clone(), full.detach()),
        rtol=0,
        atol=1e-13,
    )


def test_wrapped_normal_both_series_agree_with_many_images_in_one_call():
    # rows of small and large variance in one tensor (each served by its own series, the images
    # up to var = π and the Fourier series above); oracle: 2·60 + 1 images in float64, exact to
    # far below the tolerance at var ≤ 400; the seam at π must be continuous
    var = torch.tensor([1e-3, 0.5, math.pi - 1e-9, math.pi, math.pi + 1e-9, 5.0, 60.0, 400.0])
    var = var.to(torch.float64)
    d = torch.linspace(-math.pi, math.pi - 1e-9, 301, dtype=torch.float64)
    dd, vv = torch.meshgrid(d, var, indexing="ij")
    k = torch.arange(-60, 61, dtype=torch.float64)
    shifted = dd[..., None] + 2 * math.pi * k
    oracle = (
        math.log(2 * math.pi)
        - 0.5 * torch.log(2 * math.pi * vv)
        + torch.logsumexp(-(shifted**2) / (2 * vv[..., None]), -1)
    )
    torch.testing.assert_close(wrapped_normal_log_prob(dd, vv), oracle, rtol=0, atol=1e-12)
    dg, vg = dd.clone().requires_grad_(True), vv.clone().requires_grad_(True)
    wrapped_normal_log_prob(dg, vg).sum().backward()
    assert torch.isfinite(dg.grad).all() and torch.isfinite(vg.grad).all()


@pytest.mark.parametrize("var", [2.0, math.pi - 1e-6, math.pi + 1e-6, 4.0, 12.0, 30.0])
def test_wrapped_normal_score_matches_finite_differences_across_the_series_switch(var):
    # the score switches from the images to the Fourier series at var = π, as the log-density
    # does: both sides of the switch against central differences of the log-density (step 1e-6,
    # truncation error ~1e-12, rounding ~1e-10)
    d = torch.linspace(-math.pi + 0.01, math.pi - 0.01, 301, dtype=torch.float64)
    v, h = torch.full_like(d, var), 1e-6
    fd = (wrapped_normal_log_prob(d + h, v) - wrapped_normal_log_prob(d - h, v)) / (2 * h)
    torch.testing.assert_close(wrapped_normal_score(d, v), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("var", [1e8, 1e300, math.inf])
def test_wrapped_normal_score_at_huge_variance_is_zero_and_cheap(var):
    # the kernel is uniform to e^{-var/2}: the score is 0 to double precision; summing images
    # (about 1.4 √var of them) ran out of memory at var ~ 1e12 and cannot be sized at all at 1e300
    d = torch.linspace(-math.pi, math.pi - 1e-9, 101, dtype=torch.float64)
    score = wrapped_normal_score(d, torch.full_like(d, var))
    assert score.shape == d.shape and torch.isfinite(score).all()
    assert score.abs().max() < 1e-300


def test_wrapped_normal_score_mixes_both_series_in_one_call():
    # rows of either series in one tensor, one variance per row: each equals its own call
    var = torch.tensor([[0.5], [math.pi], [math.pi + 1e-9], [60.0], [1e12]], dtype=torch.float64)
    d = torch.rand(5, 7, generator=_gen(1), dtype=torch.float64) * 2 * math.pi - math.pi
    mixed = wrapped_normal_score(d, var)
    for i in range(5):
        alone = wrapped_normal_score(d[i], var[i].expand(7))
        torch.testing.assert_close(mixed[i], alone, rtol=0, atol=1e-15)


def test_torus_brownian_with_a_huge_noise_scale_has_a_zero_score_at_T():
    # sigma_max = 1e6 (B(T) ~ 1e12): the user trial that was killed for memory
    p = TorusBrownian(2, GeometricSchedule(0.02, 1e6))
    x0 = torch.zeros(64, 2)
    t = torch.full((64,), p.T)
    xt = p.sample_transition(x0, t, _gen(2))
    score = p.conditional_score(xt, x0, t)
    assert score.shape == xt.shape and (score == 0).all()
    assert float(p.terminal_kl(x0).max()) < 1e-12


@pytest.mark.parametrize("d", [2.5, 0, -1, True, "2"])
def test_torus_brownian_rejects_a_dimension_that_is_not_a_positive_integer(d):
    with pytest.raises(ValueError, match="whole number of at least 1") as err:
        TorusBrownian(d=d)
    assert "\n" not in str(err.value)


def test_torus_brownian_takes_an_integral_dimension():
    assert TorusBrownian(d=3.0).space.d == 3 and "d=3" in repr(TorusBrownian(d=np.int64(3)))


@pytest.mark.parametrize("atol", [-1, 0, math.nan, math.inf, "1e-4"])
def test_so3_brownian_rejects_a_bad_support_tolerance(atol):
    with pytest.raises(ValueError, match="atol > 0") as err:
        SO3Brownian(atol=atol)
    assert "\n" not in str(err.value)
    assert SO3Brownian(atol=1e-3).space.atol == 1e-3
    with pytest.raises(ValueError, match="atol > 0"):  # the space itself, not only the process
        SO3(atol=atol)
