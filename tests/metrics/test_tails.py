"""The Hill estimate of the tail index against exact Pareto radii (where it is the MLE)."""

import math

import pytest
import torch

from dmm.metrics.tails import hill_index, tail_summary


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
