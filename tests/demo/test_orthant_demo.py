"""The orthant demo panel runs end to end on the quick budget and never leaves the quadrant."""

from __future__ import annotations

import math

from dmm.demo import PANELS
from dmm.demo.orthant import PANEL

STRUCTURE = ["c2st_auc", "precision", "recall"]


def test_orthant_panel_quick(tmp_path) -> None:
    assert PANEL in PANELS
    result = PANEL.run(tmp_path, 0, True)
    assert result.figure.exists()
    assert result.metrics["gbm_violations"] == 0.0  # positivity by construction, any model
    assert all(math.isfinite(v) for v in result.metrics.values())
    # the structure-seeing numbers come first, in the table and in the caption
    assert list(result.metrics)[:6] == [f"{m}_{k}" for m in ("gbm", "vp") for k in STRUCTURE]
    for key in list(result.metrics)[:6]:
        assert 0.0 <= result.metrics[key] <= 1.0
    gbm, vp = result.summary.split("; vp: ")
    assert gbm.startswith("gbm: C2ST AUC ") and vp.startswith("C2ST AUC ")
    assert gbm.index("recall") < gbm.index("energy") and vp.index("recall") < vp.index("floor")
