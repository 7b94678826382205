"""The torus-jump demo panel runs end to end on the quick budget."""

from __future__ import annotations

import math

from dmm.demo import PANELS
from dmm.demo.torus_jump import PANEL


def test_torus_jump_panel_quick(tmp_path) -> None:
    assert PANEL in PANELS
    result = PANEL.run(tmp_path, 0, True)
    assert result.figure.exists()
    assert all(math.isfinite(v) for v in result.metrics.values())
    # exact ratios, 15 τ-leaping steps, n = 300: the fraction on black cells is ~0.95 for the
    # target and 0.5 for uniform samples (a sampler that does not move them); binomial se ≈ 0.03
    assert result.metrics["black_fraction_target"] > 0.85
    assert result.metrics["black_fraction_exact_ratios"] > 0.8
    assert result.metrics["atom_mass"] < 1e-12
