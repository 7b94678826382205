"""The table demo panel runs end to end on the quick budget and leaves an ordinary run folder."""

from __future__ import annotations

import math

from dmm.demo import PANELS
from dmm.demo.tabular import PANEL


def test_tabular_panel_quick(tmp_path) -> None:
    assert PANEL in PANELS
    result = PANEL.run(tmp_path, 0, True)
    assert result.figure.exists()
    assert list(result.metrics)[:3] == ["c2st_auc", "w1_test", "coverage_test"]
    assert all(math.isfinite(v) for v in result.metrics.values())
    assert 0.0 <= result.metrics["c2st_auc"] <= 1.0
    assert result.summary.startswith("C2ST AUC ") and "(null sd 0.0" in result.summary
    assert "; mean of 2 draws, sd 0." in result.summary  # the quick budget's two draws
    assert (tmp_path / "run" / "schema.yaml").is_file()  # dmm sample/eval/plot read it
