"""benchmarks/levy_stability.py's sharpness check on its own narrow mixture."""

from __future__ import annotations

import math

import numpy as np

from scripts import load_script


def test_draws_of_the_mixture_read_as_sharp_and_a_blur_does_not():
    bench = load_script("benchmarks", "levy_stability")
    x = bench.narrow_mixture(20000, 0.05, 1)
    got = bench.sharpness(x, 0.05)
    # the distance to the own centre is Rayleigh(σ): P(< 3σ) = 1 - e^{-9/2}, median σ sqrt(2 ln 2);
    # 20 000 draws: standard errors about 0.001 and 0.0003
    assert abs(got["near_modes"] - (1 - math.exp(-4.5))) < 0.004
    assert abs(got["median_distance"] - 0.05 * math.sqrt(2 * math.log(2))) < 0.002
    blurred = x + 0.3 * np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    assert bench.sharpness(blurred, 0.05)["near_modes"] < 0.2  # expected 0.11
