"""benchmarks/impute_fillings.py's summary: means over splits and paired differences to k-NN."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import load_script

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    return load_script("benchmarks", "impute_fillings")


def test_paired_differences_to_knn(bench):
    def row(split, imputer, rmse, acc=1.0, target=1.0):
        return {"split": split, "imputer": imputer, "rmse_scaled": rmse, "accuracy": acc,
                "target_accuracy": target}  # fmt: skip

    rows = [row(0, "knn", 0.10), row(1, "knn", 0.20), row(2, "knn", 0.30)]
    rows += [row(0, "dmm", 0.11, 0.5), row(1, "dmm", 0.23, 1.0), row(2, "dmm", 0.29, 0.0)]
    out = {r["imputer"]: r for r in bench.summarise(rows)}
    assert (
        out["knn"]["rmse_scaled"] == pytest.approx(0.2) and "rmse_scaled_vs_knn" not in out["knn"]
    )
    diff, se = out["dmm"]["rmse_scaled_vs_knn"]  # +0.01, +0.03, -0.01
    assert diff == pytest.approx(0.01) and se == pytest.approx(0.02 / 3**0.5)
    assert out["dmm"]["accuracy_vs_knn"][0] == pytest.approx(-0.5)
    assert out["dmm"]["splits"] == 3


def test_differences_to_another_imputer(bench):
    def row(split, imputer, rmse):
        return {"split": split, "imputer": imputer, "rmse_scaled": rmse, "accuracy": 1.0,
                "target_accuracy": 1.0}  # fmt: skip

    rows = [row(0, "dmm", 0.10), row(1, "dmm", 0.20), row(0, "long", 0.08), row(1, "long", 0.16)]
    out = {r["imputer"]: r for r in bench.summarise(rows, against="dmm")}
    diff, se = out["long"]["rmse_scaled_vs_knn"]  # -0.02, -0.04
    assert diff == pytest.approx(-0.03) and se == pytest.approx(0.01)
    assert "rmse_scaled_vs_knn" not in out["dmm"]


def test_a_numeric_target_has_no_accuracy_to_average(bench, capsys):
    rows = [
        {"split": k, "imputer": name, "rmse_scaled": 0.1 + k / 100, "accuracy": 0.5,
         "target_accuracy": None}
        for k in range(2) for name in ("knn", "dmm")
    ]  # fmt: skip
    out = {r["imputer"]: r for r in bench.summarise(rows)}
    assert out["dmm"]["target_accuracy"] is None and out["dmm"]["rmse_scaled_vs_knn"][0] == 0
    bench.print_summary(rows)
    assert "target_accuracy" not in capsys.readouterr().out


def test_variants_merge_their_settings_and_name_their_imputers(bench):
    import pandas as pd

    train = pd.DataFrame({"size": [1.5, 2.5, 3.7, 4.1], "kind": ["x", "y", "x", "y"]})
    assert bench.variant_settings("", train) == ("", {})
    label, settings = bench.variant_settings("real+score-hidden", train)
    assert label == "real, scoring hidden cells"  # the names the single variants' rows carry
    assert settings == {"score_observed": False, "schema": {"size": "real"}}
    with pytest.raises(SystemExit, match="unknown variant 'fast'"):
        bench.variant_settings("real+fast", train)
