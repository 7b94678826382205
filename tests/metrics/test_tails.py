"""The Hill estimate of the tail index against exact Pareto radii (where it is the MLE)."""

import math

import pytest
import torch

from dmm.metrics.tails import data_fraction, hill_index, radii, tail_summary, weissman_quantile


@pytest.mark.parametrize("alpha", [0.8, 1.5, 3.0])
def test_hill_recovers_the_pareto_index(alpha):
    """``|x| = U^{-1/α}`` is exactly Pareto, so the Hill estimate from the top ``k = 1000`` of
    ``10^5`` has standard deviation ``α/√k``: a tolerance of 4 of them (``≈ 6e-5`` two-sided
    false alarm) with a fixed seed."""
    g = torch.Generator().manual_seed(3)
    u = torch.rand(100_000, generator=g, dtype=torch.float64)
    direction = torch.nn.functional.normalize(torch.randn(100_000, 2, generator=g), dim=1)
    x = u.pow(-1 / alpha)[:, None] * direction.double()
    est = hill_index(x, frac=0.01)
    assert abs(est - alpha) < 4 * alpha / math.sqrt(1000)


def pareto(alpha: float, n: int = 100_000, seed: int = 3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n, generator=g, dtype=torch.float64)
    return u.pow(-1 / alpha)[:, None]


@pytest.mark.parametrize("alpha", [0.8, 1.5, 3.0])
def test_weissman_extrapolates_the_pareto_quantile_beyond_the_data(alpha):
    """The ``1 - 10^-6`` quantile of ``10^5`` Pareto radii lies beyond the largest of them. With
    ``k = 1000`` its log is off by ``Δγ log(k / (n(1-p))) + Δ log r_(k+1)``, standard deviation
    about ``γ sqrt(1 + log²(10^4)) / sqrt(k)`` (``γ = 1/α``): a tolerance of 4 of them."""
    x = pareto(alpha)
    level = 1 - 1e-6
    sd = (1 / alpha) * math.sqrt(1 + math.log(1e4) ** 2) / math.sqrt(1000)
    est = weissman_quantile(x, level, frac=0.01)
    assert est > radii(x).max()  # an extrapolation, not an order statistic
    assert abs(math.log(est) - math.log((1 - level) ** (-1 / alpha))) < 4 * sd


def test_weissman_at_the_anchor_level_is_the_order_statistic():
    # at p = 1 - k/n the extrapolation factor is 1: the estimate is r_(k+1) whatever the index
    x = pareto(1.5, n=20_000)
    s = radii(x).sort(descending=True).values
    assert weissman_quantile(x, 1 - 200 / 20_000, frac=0.01) == pytest.approx(float(s[200]))
    with pytest.raises(ValueError):
        weissman_quantile(x, 1.0)


def test_data_fraction_reads_one_percent_within_50_rows_and_a_tenth():
    assert data_fraction(20_000) == 0.01
    assert data_fraction(1000) * 1000 == pytest.approx(50)
    assert data_fraction(100) == 0.1


def test_light_tails_read_as_a_large_index():
    x = torch.randn(100_000, 2, generator=torch.Generator().manual_seed(0))
    assert hill_index(x) > 5  # a Gaussian's tail is lighter than any power


def test_summary_and_errors():
    x = torch.tensor([[1.0], [2.0], [float("nan")], [4.0], [8.0]])
    s = tail_summary(x, levels=(0.5,))
    assert s["q0.5"] == pytest.approx(3.0)  # the NaN row is dropped
    with pytest.raises(ValueError):
        hill_index(torch.ones(10, 2))
    with pytest.raises(ValueError):
        hill_index(torch.ones(2, 2))
    with pytest.raises(ValueError):
        hill_index(x, frac=0.0)
