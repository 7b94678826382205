"""``dmm demo``: the gallery runner (with stand-in panels) and the VP panel on its quick budget."""

from __future__ import annotations

import json

import matplotlib
import pytest

import dmm.demo
from dmm.cli.main import main
from dmm.demo import DemoPanel, PanelResult

matplotlib.use("Agg")


def _good(out_dir, seed, quick):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [seed, 1])
    fig.savefig(out_dir / "good.png")
    plt.close(fig)
    return PanelResult(
        out_dir / "good.png", {"energy_ratio": 1.5, "quick": float(quick)}, "a fine panel"
    )


def _bad(out_dir, seed, quick):
    raise RuntimeError("this family is broken")


@pytest.fixture
def panels(monkeypatch):
    fake = [DemoPanel("good", "Good panel", _good), DemoPanel("bad", "Bad panel", _bad)]
    monkeypatch.setattr(dmm.demo, "PANELS", fake)
    return fake


def test_runner_writes_gallery_and_tables_and_survives_a_broken_panel(panels, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quick"]) == 1  # one panel failed
    text = capsys.readouterr().out
    assert "[1/2] good" in text and "[2/2] bad" in text and "FAILED" in text
    assert (out / "gallery.png").is_file()
    table = json.loads((out / "metrics.json").read_text())
    assert table["quick"] is True
    good, bad = table["panels"]
    assert good["status"] == "ok" and good["metrics"] == {"energy_ratio": 1.5, "quick": 1.0}
    assert good["figure"] == "good/good.png"
    assert bad["status"] == "failed" and "this family is broken" in bad["error"]
    assert "this family is broken" in (out / "bad" / "error.txt").read_text()
    md = (out / "metrics.md").read_text()
    assert "| good | ok |" in md and "energy_ratio=1.5" in md and "| bad | failed |" in md

    # an existing folder needs --force; --only runs a subset
    assert main(["demo", "--out", str(out), "--quick"]) == 2
    assert "already exists" in capsys.readouterr().err
    (out / "mine.txt").write_text("kept")  # not the demo's: --force leaves it
    assert main(["demo", "--out", str(out), "--quick", "--force", "--only", "good"]) == 0
    assert [p["name"] for p in json.loads((out / "metrics.json").read_text())["panels"]] == ["good"]
    # the earlier run's other panel is not left beside a gallery that no longer shows it
    assert not (out / "bad").exists() and (out / "mine.txt").read_text() == "kept"
    assert "removed the earlier run's bad (not in --only)" in capsys.readouterr().out
    # a folder of the user's that merely has a panel's name is not the demo's: it stays
    (out / "bad").mkdir()
    (out / "bad" / "notes.txt").write_text("mine")
    assert main(["demo", "--out", str(out), "--quick", "--force", "--only", "good"]) == 0
    assert (out / "bad" / "notes.txt").read_text() == "mine"
    # several panels after one --only, as docs/cli.md writes it (it took one per flag)
    assert main(["demo", "--out", str(out), "--quick", "--force", "--only", "bad", "good"]) == 1
    names = [p["name"] for p in json.loads((out / "metrics.json").read_text())["panels"]]
    assert sorted(names) == ["bad", "good"]


def test_vp_panel_quick(tmp_path, capsys):
    from dmm.demo.vp import PANEL

    assert PANEL in dmm.demo.PANELS and dmm.demo.PANELS[0] is PANEL  # the gallery starts with VP
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quick", "--only", "vp"]) == 0
    row = json.loads((out / "metrics.json").read_text())["panels"][0]
    assert row["status"] == "ok" and row["figure"] == "vp/vp.png"
    assert row["metrics"]["energy_floor"] > 0
    assert row["metrics"]["energy_ratio"] == pytest.approx(
        row["metrics"]["energy"] / row["metrics"]["energy_floor"]
    )
    # the panel folder is a run folder: the other commands work on it
    capsys.readouterr()
    assert main(["sample", str(out / "vp"), "-n", "10", "-o", str(tmp_path / "s.npy")]) == 0


def test_a_missing_extra_is_named_before_any_panel_runs(tmp_path, monkeypatch, capsys):
    """After installing the plot extra that the demo asked for, the digits and tabular panels
    failed with tracebacks (no scikit-learn, no palmerpenguins): every extra is named up front."""
    import importlib.util

    from dmm.cli import demo

    real = importlib.util.find_spec
    gone = {"palmerpenguins"}
    monkeypatch.setattr(
        demo.importlib.util, "find_spec", lambda name, *a: None if name in gone else real(name, *a)
    )
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quick"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "dmm: error: dmm demo needs the tabular extra: pip install "
        "'denoising-markov-models[tabular]' (or --only vp so3 orthant digits torus-jump)"
    ]
    assert not out.exists()
    gone.add("sklearn")
    assert main(["demo", "--out", str(out), "--only", "digits", "tabular"]) == 2
    assert "needs the metrics, tabular extras" in capsys.readouterr().err
