"""The digits demo panel runs end to end on the quick budget (~5 CPU-seconds)."""

from __future__ import annotations

import math

from dmm.demo import PANELS
from dmm.demo.digits import PANEL


def test_digits_panel_quick(tmp_path) -> None:
    assert PANEL in PANELS
    result = PANEL.run(tmp_path, 0, True)
    assert result.figure.exists()
    # bits/dim for 17 levels: above 0 and, even for a barely trained model, near log2(17) = 4.09
    assert 0 < result.metrics["nll_bound_bits_per_dim"] < 5
    assert all(math.isfinite(v) for v in result.metrics.values())
