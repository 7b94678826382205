"""The orthant demo panel runs end to end on the quick budget and never leaves the quadrant."""

from __future__ import annotations

import math

from dmm.demo import PANELS
from dmm.demo.orthant import PANEL


def test_orthant_panel_quick(tmp_path) -> None:
    assert PANEL in PANELS
    result = PANEL.run(tmp_path, 0, True)
    assert result.figure.exists()
    assert result.metrics["gbm_violations"] == 0.0  # positivity by construction, any model
    assert all(math.isfinite(v) for v in result.metrics.values())
    assert "gbm" in result.summary
