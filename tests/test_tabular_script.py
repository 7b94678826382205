"""benchmarks/tabular.py: its dmm path and the baseline imputers end to end on iris at a tiny
budget (the peers need the ``bench`` extra and are not run here)."""

from __future__ import annotations

import json

import pytest

from scripts import load_script


@pytest.fixture(scope="module")
def bench():
    return load_script("benchmarks", "tabular")


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


def test_the_headline_lays_a_later_run_over_the_first(bench, tmp_path):
    # dmm rerun alone (same protocol) replaces dmm's rows beside the first run's other methods;
    # a run of another protocol is refused
    headline = load_script("benchmarks", "tabular_headline")
    first, later = tmp_path / "first.json", tmp_path / "later.json"
    common = ["--quick", "--imputers", "mean-mode"]
    bench.main([*common, "--steps", "20", "--methods", "oracle,dmm", "--json", str(first)])
    bench.main([*common, "--steps", "40", "--methods", "dmm", "--json", str(later)])
    (a, b) = (
        json.loads(p.read_text())["tables"]["iris"]["methods"]["dmm"]["summary"]["w1_test"]
        for p in (first, later)
    )
    assert f"{a['mean']:.3f}" != f"{b['mean']:.3f}"  # else the test could not tell
    text = headline.main([str(first), "--with", str(later)])
    row = next(line for line in text.splitlines() if line.startswith("| iris | dmm |"))
    assert f"{b['mean']:.3f}" in row
    assert "| iris | *oracle* |" in text
    other = json.loads(later.read_text())
    other["settings"]["hide"] = 0.5
    later.write_text(json.dumps(other))
    with pytest.raises(SystemExit, match="hide"):
        headline.main([str(first), "--with", str(later)])


def test_more_splits_pool_with_an_earlier_run_split_by_split(bench, tmp_path):
    # splits 0-1 in one run, split 2 in a later one (--first-split): the paired table reads all
    # three, the later run's split seeded as split 2 (its held-out rows differ from split 0's)
    paired = load_script("benchmarks", "tabular_paired")
    first, later = tmp_path / "first.json", tmp_path / "later.json"
    common = ["--quick", "--imputers", "none", "--steps", "20", "--methods", "oracle,dmm"]
    bench.main([*common, "--splits", "2", "--json", str(first)])
    bench.main([*common, "--splits", "1", "--first-split", "2", "--json", str(later)])
    gens = json.loads(later.read_text())["tables"]["iris"]["methods"]["dmm"]["generations"]
    assert {g["split"] for g in gens} == {2}
    by_split = paired.per_split([first, later], "iris", "dmm", "w1_test")
    assert sorted(by_split) == [0, 1, 2]
    assert by_split[2] != by_split[0]
    text = paired.main(
        [
            str(first),
            str(later),
            "--table",
            "iris",
            "--methods",
            "dmm",
            "oracle",
            "--metric",
            "w1_test",
        ]
    )
    assert "| mean of 3 |" in text
    # one method from two runs (--second-files): dmm against itself is zero on every split
    same = paired.main(
        [str(first), str(later), "--table", "iris", "--methods", "dmm", "dmm", "--metric",
         "w1_test", "--second-files", str(first), str(later), "--labels", "a", "b"]
    )  # fmt: skip
    assert "| split | a | b | difference |" in same and "| mean of 3 |" in same
    assert "+0.000 ± 0.000" in same
    # the oracle copies the training rows: its W1 to them is 0 on every split
    w1_train = paired.per_split([first, later], "iris", "oracle", "w1_train")
    assert all(v == [0.0] * len(v) for v in w1_train.values())


def test_dmm_ordered_declares_the_diamonds_levels_as_ordinals(bench):
    import pandas as pd

    from dmm.tabular.datasets import ORDERS
    from dmm.tabular.schema import infer_schema

    frame = pd.DataFrame({"cut": list(ORDERS["cut"]) * 2, "carat": [0.5, 1.0] * 5})
    schema = bench.ordered_schema(frame)
    assert list(schema) == ["cut"]  # only the columns the frame has
    assert infer_schema(frame, schema)["cut"].levels == ORDERS["cut"]


def test_dmm_real_declares_the_positive_columns_real(bench):
    import pandas as pd

    from dmm.tabular.schema import infer_schema

    frame = pd.DataFrame({"size": [0.5, 1.5, 2.5, 3.5], "shift": [-1.0, 2.0, 0.5, 1.2]})
    frame["kind"] = ["a", "b", "a", "b"]
    assert bench.real_schema(frame) == {"size": "real"}  # shift is real already, kind text
    assert infer_schema(frame, bench.real_schema(frame))["size"].type == "real"
