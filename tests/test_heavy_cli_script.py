"""benchmarks/heavy_cli.py: the table's elliptical radius undoes its location and factor."""

from __future__ import annotations

import torch

from dmm.data.heavy_tails import student_t
from scripts import load_script


def test_the_radius_is_the_student_t_draws_norm():
    # x = loc + L z, so |L^{-1}(x - loc)| = |z| row by row (float64 throughout: 1e-9)
    bench = load_script("benchmarks", "heavy_cli")
    x = bench.draw(500, 3)
    z = student_t(500, torch.Generator().manual_seed(3), bench.NU, 4).double()
    torch.testing.assert_close(bench.radius(x), z.norm(dim=1), rtol=1e-9, atol=1e-9)
    # the coordinates have the stated scales: medians of |x - loc| in the ratio of SCALES
    spread = (x - bench.LOC).abs().median(dim=0).values
    ratio = spread / bench.SCALES
    assert (ratio.max() / ratio.min()) < 1.5, ratio
