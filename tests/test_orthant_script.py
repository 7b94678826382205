"""benchmarks/orthant_quality.py: several draws per trained model, averaged, at a tiny budget."""

from __future__ import annotations

import json

import pytest
import torch

from scripts import load_script


@pytest.fixture(scope="module")
def bench():
    return load_script("benchmarks", "orthant_quality")


def test_mean_metrics_average_the_draws(bench):
    g = torch.Generator().manual_seed(0)
    test = torch.randn(40, 3, generator=g).exp()
    draws = [torch.randn(40, 3, generator=g).exp() for _ in range(3)]
    scale = torch.ones(3)
    out = bench.mean_metrics(draws, test, scale)
    each = [bench.metrics(y, test, scale, seed=r) for r, y in enumerate(draws)]
    assert out["c2st_draws"] == [m["c2st"] for m in each]
    for key in ("c2st", "energy", "ks_mean"):
        assert out[key] == pytest.approx(sum(m[key] for m in each) / 3)
    assert bench.draw_seed(7, 0) == 8  # draw 0 is the single-draw runs' sampling seed


def test_two_draws_per_model_end_to_end(bench, tmp_path):
    out = tmp_path / "o"
    argv = ["--data", "wine", "--seeds", "2", "--steps", "5", "--draws", "2"]
    bench.main([*argv, "--processes", "geometric-ou", "vp", "--out", str(out)])
    report = json.loads(out.with_suffix(".json").read_text())
    runs = report["data"]["wine"]["runs"]
    assert [len(r["c2st_draws"]) for run in runs for r in run["rows"]] == [2] * 6
    assert len(runs[0]["floor"]["c2st_draws"]) == 2
    summary = {r["process"]: r for r in report["data"]["wine"]["summary"]}
    assert "c2st_paired" in summary["geometric-ou"]  # against vp (clipped), split by split
    assert "| wine | geometric-ou |" in out.with_suffix(".md").read_text()
