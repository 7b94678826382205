"""benchmarks/peers_seeds.py: cell means over seeds and dmm's paired gap to the best peer."""

from __future__ import annotations

import pytest

from scripts import load_script


def test_the_best_peer_is_the_lowest_mean_and_the_gap_is_paired():
    bench = load_script("benchmarks", "peers_seeds")

    def row(method, auc, budget=10):
        return {"set": "moons", "method": method, "budget": budget, "c2st_auc": auc}

    seed0 = [row("dmm", 0.52), row("icfm", 0.53), row("fm", 0.53), row("otcfm", 0.50)]
    seed1 = [row("dmm", 0.50), row("icfm", 0.51), row("fm", 0.51), row("otcfm", 0.54)]
    seed1.append(row("dmm", 0.6, budget=20))  # in one run only: not a cell
    (out,) = bench.summarise([seed0, seed1])
    assert out["means"] == pytest.approx({"dmm": 0.51, "icfm": 0.52, "otcfm": 0.52})  # fm = icfm
    assert out["best_peer"] == "icfm"  # ties go to the first peer in the rows' order
    assert out["dmm_minus_best"] == pytest.approx(-0.01) and out["se"] == pytest.approx(0.0)
    assert out["at_or_below"]
    text = bench.markdown([out], 2)
    assert "| moons | 10 | 0.510 | 0.520 | 0.520 | -0.010 ± 0.000 (icfm) |" in text
    assert "at or below the best peer in 1 of 1 cells" in text
