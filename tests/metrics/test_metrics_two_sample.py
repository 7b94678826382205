"""Two-sample metrics against closed forms, brute force, scipy and their own invariances."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

import dmm.metrics
from dmm.metrics import (
    default_bandwidths,
    energy_distance,
    ks_per_feature,
    mmd,
    noise_floor,
    sliced_wasserstein,
    two_sample_report,
)

BANDWIDTHS = (0.5, 1.0, 2.0)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _normal_grid(n: int) -> torch.Tensor:
    """The ``(i + 1/2)/n`` quantiles of N(0, 1), shape ``(n, 1)``: a low-discrepancy "sample".

    Metrics of such grids match the population values to O(1/n^2)-ish (midpoint quadrature), so
    closed forms can be checked tightly without Monte Carlo noise.
    """
    levels = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    return torch.distributions.Normal(0.0, 1.0).icdf(levels)[:, None]


def _mean_abs_normal(mu: float, s: float) -> float:
    """E|Z| for Z ~ N(mu, s^2)."""
    phi = 0.5 * (1.0 + math.erf(-mu / (s * math.sqrt(2.0))))
    return s * math.sqrt(2.0 / math.pi) * math.exp(-(mu**2) / (2 * s**2)) + mu * (1 - 2 * phi)


def _energy_closed_form(mu: float) -> float:
    """Energy distance between N(0, 1) and N(mu, 1): X - Y ~ N(-mu, 2), X - X' ~ N(0, 2)."""
    return 2 * _mean_abs_normal(mu, math.sqrt(2.0)) - 2 * _mean_abs_normal(0.0, math.sqrt(2.0))


def _mmd_closed_form(mu: float, bandwidths: tuple[float, ...]) -> float:
    """MMD^2 between N(0, 1) and N(mu, 1) for sum_h exp(-r^2 / 2h^2).

    For D ~ N(delta, s^2), E exp(-D^2 / 2h^2) = h / sqrt(h^2 + s^2) exp(-delta^2 / 2(h^2 + s^2)),
    with s^2 = 2 for a difference of two unit-variance normals.
    """
    total = 0.0
    for h in bandwidths:
        c = h / math.sqrt(h**2 + 2)
        total += 2 * c - 2 * c * math.exp(-(mu**2) / (2 * (h**2 + 2)))
    return total


def _brute_energy(x: torch.Tensor, y: torch.Tensor) -> float:
    n, m = len(x), len(y)
    dxx, dyy, dxy = torch.cdist(x, x), torch.cdist(y, y), torch.cdist(x, y)
    return float(2 * dxy.mean() - dxx.sum() / (n * (n - 1)) - dyy.sum() / (m * (m - 1)))


def _brute_mmd(x: torch.Tensor, y: torch.Tensor, hs: tuple[float, ...]) -> float:
    def k(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        d2 = torch.cdist(a, b) ** 2
        return sum(torch.exp(-d2 / (2 * h**2)) for h in hs)

    n, m = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    within = (kxx.sum() - kxx.diag().sum()) / (n * (n - 1))
    within = within + (kyy.sum() - kyy.diag().sum()) / (m * (m - 1))
    return float(within - 2 * k(x, y).mean())


def test_exports_resolve() -> None:
    for name in dmm.metrics.__all__:
        assert getattr(dmm.metrics, name) is not None


# --- energy distance ------------------------------------------------------------------------


def test_energy_matches_brute_force_for_any_chunk_size() -> None:
    # Same estimator computed two ways in float64: only round-off separates them.
    g = _gen(0)
    x, y = torch.randn(53, 3, generator=g, dtype=torch.float64), torch.randn(37, 3, generator=g)
    expected = _brute_energy(x, y.double())
    for chunk in (None, 1, 7, 1000):
        assert energy_distance(x, y, chunk_size=chunk) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("mu", [0.5, 1.0])
def test_energy_closed_form_for_shifted_normals(mu: float) -> None:
    # On quantile grids of size 1000 the V-statistic is a midpoint rule for the population value;
    # its observed error is < 1e-5, so 1e-4 is safe yet far below the 2.3e-3 U/V gap and the
    # 0.14 value: a wrong constant or a missing term fails.
    x = _normal_grid(1000)
    exact = _energy_closed_form(mu)
    assert energy_distance(x, x + mu, unbiased=False) == pytest.approx(exact, abs=1e-4)


def test_energy_identical_vs_shifted_random_samples() -> None:
    # n = m = 2000 in 1-D. Over 40 seeds the null estimate had std 1.1e-3 and the N(0.5, 1)
    # estimate mean 0.139 (closed form 0.1396) with std 0.023; the bounds are about 5 sigma.
    g = _gen(1)
    x, y = torch.randn(2000, 1, generator=g), torch.randn(2000, 1, generator=g)
    z = torch.randn(2000, 1, generator=g) + 0.5
    assert abs(energy_distance(x, y)) < 6e-3
    assert energy_distance(x, z) == pytest.approx(_energy_closed_form(0.5), abs=0.11)
    assert energy_distance(x, z) > 0.03


def test_energy_u_statistic_is_unbiased_and_v_statistic_is_not() -> None:
    # Under the null with n = m = 10, E[U] = 0 while E[V] = 2 E|X - X'| / n = 4 / (10 sqrt(pi))
    # ~ 0.226. The per-replicate std is ~0.19, so the mean of 500 replicates has std ~8.5e-3:
    # tol 0.04 is ~4.7 sigma and still far below the 0.226 gap between the two estimators.
    g = _gen(2)
    data = torch.randn(500, 2, 10, 1, generator=g)
    u = [energy_distance(a, b) for a, b in data]
    v = [energy_distance(a, b, unbiased=False) for a, b in data]
    assert abs(sum(u) / len(u)) < 0.04
    assert sum(v) / len(v) == pytest.approx(4 / (10 * math.sqrt(math.pi)), abs=0.04)
    assert min(v) >= 0.0  # the V-statistic is a squared norm


def test_energy_flattens_trailing_dimensions() -> None:
    g = _gen(3)
    x, y = torch.randn(40, 2, 3, generator=g), torch.randn(30, 2, 3, generator=g)
    assert energy_distance(x, y) == pytest.approx(energy_distance(x.flatten(1), y.flatten(1)))
    with pytest.raises(ValueError, match="features"):
        energy_distance(x, y[:, :1])


# --- MMD ------------------------------------------------------------------------------------


def test_mmd_matches_brute_force_for_any_chunk_size() -> None:
    g = _gen(4)
    x, y = torch.randn(41, 4, generator=g).double(), torch.randn(29, 4, generator=g).double() + 1
    expected = _brute_mmd(x, y, BANDWIDTHS)
    for chunk in (None, 1, 5, 1000):
        got = mmd(x, y, BANDWIDTHS, chunk_size=chunk)
        assert got == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("mu", [0.5, 1.0])
def test_mmd_closed_form_for_shifted_normals(mu: float) -> None:
    # Grid V-statistic error observed < 4e-5 at n = 1000; the U/V gap is ~2.6e-3.
    x = _normal_grid(1000)
    exact = _mmd_closed_form(mu, BANDWIDTHS)
    assert mmd(x, x + mu, BANDWIDTHS, unbiased=False) == pytest.approx(exact, abs=1e-4)


def test_mmd_u_statistic_is_unbiased() -> None:
    # Null, n = m = 10, 500 replicates: E[U] = 0 and E[V] = 2 (k(0) - E k(X, X')) / n ~ 0.26.
    # Per-replicate std ~0.21, so the mean has std ~9.5e-3; tol 0.045 is ~4.7 sigma.
    g = _gen(5)
    data = torch.randn(500, 2, 10, 1, generator=g)
    u = [mmd(a, b, BANDWIDTHS) for a, b in data]
    v = [mmd(a, b, BANDWIDTHS, unbiased=False) for a, b in data]
    k0 = len(BANDWIDTHS)
    ekk = sum(h / math.sqrt(h**2 + 2) for h in BANDWIDTHS)
    assert abs(sum(u) / len(u)) < 0.045
    assert sum(v) / len(v) == pytest.approx(2 * (k0 - ekk) / 10, abs=0.045)
    assert min(v) >= -1e-12


def test_mmd_default_bandwidths_and_power() -> None:
    g = _gen(6)
    z = torch.randn(3000, 2, generator=g)
    hs = default_bandwidths(z)
    # Median distance between two independent N(0, I_2) points: |X - X'| ~ sqrt(2) * Rayleigh,
    # median sqrt(2) * sqrt(2 ln 2) = 2 sqrt(ln 2) ~ 1.665; 1000 points give ~1% accuracy.
    assert hs[1] == pytest.approx(2 * math.sqrt(math.log(2)), rel=0.03)
    assert hs[0] == pytest.approx(hs[1] / 2) and hs[2] == pytest.approx(2 * hs[1])
    x, y = z[:1000], z[1000:2000]
    assert abs(mmd(x, y)) < 5e-3
    assert mmd(x, y + 0.5) > 0.02
    with pytest.raises(ValueError, match="bandwidths"):
        mmd(x, y, [0.0])


# --- sliced Wasserstein ---------------------------------------------------------------------


def test_sliced_w2_is_the_shift_over_sqrt_d_for_a_translated_sample() -> None:
    # y = x + mu: every projection is shifted by u.mu exactly, so W2^2(u) = (u.mu)^2 and
    # SW2^2 = mean_u (u.mu)^2 -> |mu|^2 / d. With d = 4 and 4096 directions the Monte Carlo
    # relative std of SW2 is ~0.8%, so 4% is about 5 sigma.
    g = _gen(7)
    x = torch.randn(500, 4, generator=g)
    mu = torch.tensor([2.0, -1.0, 0.5, 1.0])
    expected = float(mu.norm()) / 2.0
    got = sliced_wasserstein(x, x + mu, n_projections=4096, generator=_gen(8))
    assert got == pytest.approx(expected, rel=0.04)


def test_sliced_w2_independent_gaussian_samples() -> None:
    # N(0, I_4) vs N(mu, I_4) with |mu|^2 / d = 1: over 40 seeds (n = 2000, 1024 directions) the
    # mean was 1.002 with std 0.021; tolerance 0.1 is ~5 sigma.
    g = _gen(9)
    x = torch.randn(2000, 4, generator=g)
    y = torch.randn(2000, 4, generator=g) + torch.tensor([1.0, 1.0, 1.0, 1.0])
    assert sliced_wasserstein(x, y, n_projections=1024, generator=_gen(10)) == pytest.approx(
        1.0, abs=0.1
    )


def test_sliced_w2_in_one_dimension_is_w2() -> None:
    # In 1-D the only directions are +-1, and W2 is sign invariant: SW2 = W2 = |mu| for a shift.
    x = _normal_grid(1000)
    assert sliced_wasserstein(x, x + 0.7) == pytest.approx(0.7, abs=1e-12)
    assert sliced_wasserstein(x, x) == 0.0


def test_sliced_w2_unequal_sizes_uses_exact_quantile_coupling() -> None:
    # x = {0, 1}, y = {0, 1/2, 1}: quantile functions differ by 1/2 on [1/3, 2/3), so W2^2 = 1/12.
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[0.0], [0.5], [1.0]])
    assert sliced_wasserstein(x, y) == pytest.approx(math.sqrt(1 / 12), abs=1e-12)
    # A sample and the same sample repeated twice are the same empirical law.
    z = torch.randn(101, 3, generator=_gen(11))
    assert sliced_wasserstein(z, torch.cat([z, z])) == pytest.approx(0.0, abs=1e-12)


def test_sliced_w2_is_deterministic_given_the_generator() -> None:
    g = _gen(12)
    x, y = torch.randn(100, 5, generator=g), torch.randn(80, 5, generator=g)
    assert sliced_wasserstein(x, y, generator=_gen(1)) == sliced_wasserstein(
        x, y, generator=_gen(1)
    )
    assert sliced_wasserstein(x, y) == sliced_wasserstein(x, y)
    assert sliced_wasserstein(x, y, generator=_gen(1)) != sliced_wasserstein(
        x, y, generator=_gen(2)
    )


# --- KS -------------------------------------------------------------------------------------


def test_ks_matches_scipy_with_and_without_ties() -> None:
    g = _gen(13)
    x = torch.cat([torch.randn(300, 3, generator=g), torch.randint(0, 5, (300, 2), generator=g)], 1)
    y = torch.cat(
        [torch.randn(200, 3, generator=g) + 0.2, torch.randint(1, 6, (200, 2), generator=g)], 1
    )
    got = ks_per_feature(x.reshape(300, 1, 5), y.reshape(200, 5, 1))
    assert got.shape == (5,)
    expected = [stats.ks_2samp(x[:, j].numpy(), y[:, j].numpy()).statistic for j in range(5)]
    assert torch.allclose(got, torch.tensor(expected, dtype=torch.float64), atol=1e-12)


# --- noise floor and report -----------------------------------------------------------------


def test_noise_floor_uses_disjoint_subsets_of_size_n() -> None:
    data = torch.arange(30.0)[:, None]
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def record(a: torch.Tensor, b: torch.Tensor) -> float:
        seen.append((a, b))
        return 1.0

    assert noise_floor(record, data, 10, _gen(0)) == 1.0
    assert noise_floor(record, data, 100, _gen(0)) == 1.0  # falls back to n = 30 // 2
    (a1, b1), (a2, b2) = seen
    assert len(a1) == len(b1) == 10 and len(a2) == len(b2) == 15
    for a, b in seen:
        assert not set(a.flatten().tolist()) & set(b.flatten().tolist())
    assert noise_floor(energy_distance, data, 10, _gen(4)) == noise_floor(
        energy_distance, data, 10, _gen(4)
    )
    with pytest.raises(ValueError, match="at least 4 rows"):
        noise_floor(record, data[:3], 10, _gen(0))


def test_report_separates_matching_from_shifted_samples() -> None:
    # n = 500 in 2-D. Matching samples: value and floor are draws of the same statistic, so the
    # ratio is O(1); over 30 seeds it ranged over [0.27, 3.8], hence the band (0.1, 10). A unit
    # shift gave ratios >= 44 (energy, MMD) and >= 6.5 (sliced W2, a square root so it grows
    # more slowly) over the same seeds; the bounds 20 and 4 leave a margin.
    g = _gen(20)
    reference, floor_data = torch.randn(500, 2, generator=g), torch.randn(1000, 2, generator=g)
    same = torch.randn(500, 2, generator=g)
    names = ("energy", "mmd", "sliced_w2")
    keys = {"n"} | {f"{k}{s}" for k in names for s in ("", "_floor", "_ratio")}
    good = two_sample_report(same, reference, floor_data, 500, _gen(0))
    bad = two_sample_report(same + 1.0, reference, floor_data, 500, _gen(0))
    assert set(good) == set(bad) == keys and good["n"] == 500
    for name in names:
        assert good[f"{name}_floor"] == bad[f"{name}_floor"] > 0
        assert good[f"{name}_ratio"] == pytest.approx(good[name] / good[f"{name}_floor"])
        assert 0.1 < good[f"{name}_ratio"] < 10.0
        assert bad[f"{name}_ratio"] > (4.0 if name == "sliced_w2" else 20.0)
    assert two_sample_report(same, reference, floor_data[:300], 500, _gen(0))["n"] == 150


def test_metrics_take_arrays_and_refuse_nan_rows_and_empty_sets():
    """NaN samples scored a C2ST AUC of 1.0 and a recall of 0; arrays and empty sets gave
    AttributeError and a reshape error from torch."""
    import numpy as np

    from dmm.metrics import c2st_auc, energy_distance, precision_recall

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(60, 2))
    assert energy_distance(x, y) == pytest.approx(energy_distance(torch.tensor(x), torch.tensor(y)))
    assert 0 <= precision_recall(x, y)["precision"] <= 1
    nan = x.copy()
    nan[[3, 7]] = np.nan
    for metric in (energy_distance, c2st_auc, precision_recall):
        with pytest.raises(ValueError, match=r"NaN or infinite values in 2 row\(s\).*: 3, 7"):
            metric(nan, y)
    with pytest.raises(ValueError, match="at least 2 samples in each set, got 0"):
        energy_distance(x[:0], y)
    with pytest.raises(ValueError, match="2 features per sample but y has 1"):
        c2st_auc(x, y[:, :1])
