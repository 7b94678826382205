"""The SO(3) demo panel runs end to end on the quick budget and its samples are rotations."""

from __future__ import annotations

import math

from dmm.demo import PANELS
from dmm.demo.so3 import PANEL


def test_so3_panel_quick(tmp_path) -> None:
    assert PANEL in PANELS
    result = PANEL.run(tmp_path, 0, True)
    assert result.figure.exists()
    assert all(math.isfinite(v) for v in result.metrics.values())
    # geodesic steps with a Newton–Schulz projection: orthogonal to float32 rounding (~1e-7)
    assert result.metrics["max_orthogonality_error"] < 1e-5
    assert result.metrics["data_within_20deg"] > 0.95  # the data itself (std 0.1 rad per axis)
    assert "modes" in result.summary
