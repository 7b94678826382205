"""The VP panel quotes C2ST AUC, precision/recall and the share off the checkerboard first."""

from __future__ import annotations

import math

from dmm.demo.base import structure_text
from dmm.demo.vp import PANEL

LEAD = ["c2st_auc", "precision", "recall", "off_support"]


def test_vp_panel_quick_quotes_the_structure_metrics_first(tmp_path) -> None:
    result = PANEL.run(tmp_path, 0, True)
    assert result.figure.exists()
    assert list(result.metrics)[:4] == LEAD
    for key in LEAD:
        assert 0.0 <= result.metrics[key] <= 1.0, key
    assert result.metrics["energy_ratio"] > 0 and math.isfinite(result.metrics["energy_ratio"])
    assert result.summary.startswith(structure_text(result.metrics))
    assert result.summary.index("off the support") < result.summary.index("energy distance")


def test_structure_text_says_when_the_classifier_is_missing() -> None:
    metrics = {"c2st_auc": math.nan, "precision": 0.5, "recall": 0.25}
    assert structure_text(metrics) == "C2ST AUC n/a (no scikit-learn), precision 0.50, recall 0.25"
