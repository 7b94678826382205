"""benchmarks/tabular.py: its dmm path and the baseline imputers end to end on iris at a tiny
budget (the peers need the ``bench`` extra and are not run here)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "tabular.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("tabular_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dmm_and_the_baseline_imputers_on_iris(bench, tmp_path):
    out = tmp_path / "t.json"
    argv = ["--quick", "--methods", "dmm", "--imputers", "mean-mode,knn,dmm", "--steps", "20"]
    bench.main(
        [*argv, "--dmm-draws", "2", "--json", str(out), "--markdown", str(tmp_path / "t.md")]
    )
    report = json.loads(out.read_text())
    text = json.dumps(report)
    for key in ("c2st_auc", "w1_test", "coverage_test"):
        assert key in text, key
    assert "| dmm |" in (tmp_path / "t.md").read_text()
    assert '"status": "failed"' not in text
