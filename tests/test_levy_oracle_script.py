"""benchmarks/levy_oracle.py: the exact-ratio table's score and the stable sets' latent variance."""

from __future__ import annotations

import torch

from dmm.data import load_data
from dmm.processes.levy_ou import LevyOU
from finite_differences import central_gradient
from scripts import load_script


def test_the_score_is_the_radial_slope_of_the_potential():
    # the backward drift of a process with a Brownian part reads it: central differences of the
    # interpolated potential along each coordinate (steps of 1e-7, far inside one table cell)
    bench = load_script("benchmarks", "levy_oracle")
    process = LevyOU.truncated_stable(2, 1.5, 0.5, 1.0, "variance", T=5.0)
    oracle = bench.RadialOracle(process, "stable-1.5-2d", draws=2000)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 2, generator=g, dtype=torch.float64) * torch.tensor([[0.3], [3.0]]).repeat(
        32, 1
    )
    t = torch.exp(torch.empty(64, dtype=torch.float64).uniform_(-6, 1.5, generator=g))
    score = oracle.score(x, t)
    fd = central_gradient(lambda z: oracle.potential(z, t), x, 1e-7)
    assert torch.allclose(score, fd, rtol=1e-4, atol=1e-6)


def test_stable_latent_variance_draws_the_stable_set():
    # x_0 = sqrt(V_0) xi with V_0 from data_scales has the law of load_data("stable-1.5-8d"): the
    # two-sample Kolmogorov-Smirnov distance of |x| at 20 000 draws each stays below 0.022, its
    # critical value at a 1e-4 false alarm rate (fixed seeds)
    bench = load_script("benchmarks", "levy_oracle")
    g = torch.Generator().manual_seed(1)
    like = torch.empty(0, dtype=torch.float64)
    v = bench.data_scales("stable-1.5-8d", 20_000, g, like)
    ours = (v.sqrt()[:, None] * torch.randn(20_000, 8, generator=g, dtype=torch.float64)).norm(
        dim=1
    )
    theirs = (
        load_data("stable-1.5-8d", 20_000, torch.Generator().manual_seed(2)).double().norm(dim=1)
    )
    grid = torch.cat([ours, theirs]).sort().values
    cdf = [torch.searchsorted(s.sort().values, grid, right=True) / 20_000 for s in (ours, theirs)]
    assert float((cdf[0] - cdf[1]).abs().max()) < 0.022
    # and the Student-t sets' index, by name or number, is the same law
    a = bench.data_scales("student-t-3-8d", 5, torch.Generator().manual_seed(3), like)
    b = bench.data_scales(3.0, 5, torch.Generator().manual_seed(3), like)
    assert torch.equal(a, b)
