"""Examples run end to end (tiny budgets)."""

import json
import math
import re
from pathlib import Path

import pytest

from scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    return load_script("examples", name)


def test_custom_sde_example_runs_end_to_end():
    # a user process with only drift and diffusion: check-suite, ISM training, sampling
    metrics = _load("custom_sde").main(["--quick"])
    assert math.isfinite(metrics["energy"]) and metrics["energy_floor"] > 0


def test_extending_page_quotes_its_companion_script_verbatim_and_the_script_runs(capsys):
    # docs/extending.md: every Python block is an excerpt of the files below, and every printed line
    # that does not depend on the budget (recipes, refusals, product rows) is what the script prints
    doc = (ROOT / "docs" / "extending.md").read_text()
    files = [
        "extending.py",
        "correlated_block.py",
        "processes/jump_diffusion.py",
        "processes/mixed.py",
    ]
    sources = [(ROOT / "examples" / name).read_text() for name in files]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", doc, flags=re.S | re.M)
    python = [text for lang, text in blocks if lang == "python"]
    assert len(python) >= 12
    for text in python:
        assert any(text in source for source in sources), text[:200]
    _load("extending").main(["--quick"])
    printed = capsys.readouterr().out.split("== training")[0].splitlines()
    quoted = [line for lang, text in blocks if lang == "" for line in text.splitlines()]
    budget_dependent = [line for line in quoted if line.startswith(("[", "-- "))]
    assert len(budget_dependent) >= 40  # the check_process outputs of the full run
    for line in quoted:
        if line not in budget_dependent:
            assert line in printed, line


def test_heavy_tails_example_runs_and_tabulates(tmp_path, monkeypatch, capsys):
    # tiny budget: the training, the report file, the tail figure and the Markdown table
    module = _load("jumps_heavy_tails")
    argv = ["jumps_heavy_tails.py", "--data", "student-t-3-2d", "--steps", "3", "--n", "300"]
    argv += ["--sample-steps", "3", "--out", str(tmp_path), "--figure", str(tmp_path / "t.png")]
    argv += ["--levy-set", "hidden=8", "proposals=2", "sampler_proposals=2"]
    monkeypatch.setattr("sys.argv", argv)
    module.main()
    report = (tmp_path / "heavy_student-t-3-2d.json").read_text()
    assert '"levy-ou"' in report and '"vp"' in report and (tmp_path / "t.png").exists()
    capsys.readouterr()
    argv = ["jumps_heavy_tails.py", "--out", str(tmp_path), "--table", "=", "--table-data"]
    monkeypatch.setattr("sys.argv", [*argv, "student-t-3-2d"])
    module.main()
    table = capsys.readouterr().out
    assert "| | levy-ou |" in table and "| | vp |" in table
    assert "exact samples, n = 300 " in table  # the floor's sample size, from the report
    # what the 20 000 training rows know far out, recorded in the report
    runs = json.loads(report)
    assert runs["levy-ou"]["nu"] > 0 and "nu" not in runs["vp"]  # the index read from the data
    floor = runs["train_floor"]
    assert {"rows_logerr_q0.9999", "weissman_logerr_q0.9999_mean", "hill"} <= floor.keys()
    assert "| | the training rows' own quantiles, n = 20000 " in table
    assert "| | Weissman's extrapolation from them, n = 20000 " in table
    argv = ["jumps_heavy_tails.py", "--out", str(tmp_path), "--verdict", "", "--table-data"]
    monkeypatch.setattr("sys.argv", [*argv, "student-t-3-2d"])
    module.main()
    verdict = capsys.readouterr().out.strip().splitlines()
    assert len(verdict) == 3 and verdict[2].startswith("| student-t-3-2d | 3 / 3 |")
    assert "| yes |" in verdict[2] or "| no (" in verdict[2]
    argv = ["jumps_heavy_tails.py", "--floors", "--n", "300", "--table-data", "student-t-3-2d"]
    monkeypatch.setattr("sys.argv", argv)
    module.main()
    floors = capsys.readouterr().out.strip().splitlines()
    assert len(floors) == 3 and "(n = 300)" in floors[0]
    assert re.fullmatch(r"\| student-t-3-2d( \| [0-9.]+ / [0-9.]+){3} \|", floors[2])
    assert re.search(r"\| [0-9.]+ / [0-9.]+; [0-9.]+ / [0-9.]+ \|$", verdict[2])


def test_heavy_tails_equal_time_matches_levy_ou_training_seconds(tmp_path, monkeypatch, capsys):
    # --equal-time: vp's steps come from levy-ou's seconds in the report and a timed vp pilot
    module = _load("jumps_heavy_tails")
    base = "jumps_heavy_tails.py --data student-t-3-2d --n 300 --sample-steps 3".split()
    base += ["--out", str(tmp_path), "--levy-set", "hidden=8", "proposals=2", "sampler_proposals=2"]
    monkeypatch.setattr("sys.argv", [*base, "--steps", "5", "--processes", "vp", "--equal-time"])
    with pytest.raises(SystemExit, match="no levy-ou run"):
        module.main()  # nothing to match yet
    monkeypatch.setattr("sys.argv", [*base, "--steps", "40", "--processes", "levy-ou"])
    module.main()
    monkeypatch.setattr(
        "sys.argv",
        [*base, "--steps", "5", "--processes", "vp", "--equal-time", "--pilot-steps", "20"],
    )
    capsys.readouterr()
    module.main()
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("vp: "))
    per_ms, steps, budget = (float(w) for w in re.findall(r"[0-9.]+", line)[:3])
    report = json.loads((tmp_path / "heavy_student-t-3-2d.json").read_text())
    assert report["vp"]["steps"] == report["args"]["vp"]["steps"] == int(steps) != 5
    seconds = report["levy-ou"]["train_seconds"]
    assert budget == pytest.approx(seconds, abs=0.006)  # printed to 0.01 s
    assert abs(steps * per_ms / 1000 - seconds) <= per_ms / 1000  # the nearest whole step
    assert report["levy-ou"]["steps"] == report["args"]["levy-ou"]["steps"] == 40


def test_tabular_orders_example_reads_writes_and_fills_a_messy_table(tmp_path, capsys):
    argv = ["--out", str(tmp_path), "--steps", "30", "--rows", "200", "--sample-steps", "5"]
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text("a model fitted before\n")
    with pytest.raises(SystemExit):  # refused, naming --force (a second run of the example)
        _load("tabular_orders").main(argv)
    assert "or --force to replace it" in capsys.readouterr().err
    result = _load("tabular_orders").main([*argv, "--force"])
    types = {c.name: c.type for c in result["schema"].columns}
    assert types == {
        "order": "id",
        "placed": "datetime",
        "segment": "categorical",
        "items": "ordinal",
        "amount": "positive",
        "discount": types["discount"],  # ordinal or integer: the span depends on the draw
        "shipped": "categorical",
    }
    assert types["discount"] in ("ordinal", "integer")
    assert "cells '?' read as empty" in capsys.readouterr().out
    synthetic = result["synthetic"]
    # new identifiers: after every row of the file (they were the held-out rows' own, 161...)
    assert list(synthetic["order"][:2]) == ["ord-00201", "ord-00202"]
    assert synthetic["amount"].str.fullmatch(r"\$[\d,]+\.\d\d").all()
    assert synthetic["discount"].dropna().str.fullmatch(r"\d+%").all()
    holes, filled = result["holes"], result["filled"]
    assert not filled.isna().any().any()
    keep = holes.notna()
    for name in holes.columns:
        assert [str(v) for v in holes.loc[keep[name], name]] == [
            str(v) for v in filled.loc[keep[name], name]
        ], name
    assert (tmp_path / "synthetic.csv").is_file() and (tmp_path / "run" / "config.yaml").is_file()


def test_every_script_answers_help_without_running():
    """Nine scripts ran (and rewrote committed results under docs/) when asked for --help: a
    script with a ``__main__`` block parses its arguments (argparse prints the docstring)."""
    scripts = sorted((ROOT / "benchmarks").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
    runnable = [p for p in scripts if 'if __name__ == "__main__":' in p.read_text()]
    assert len(runnable) > 40
    silent = [
        p.name
        for p in runnable
        if "ArgumentParser(" not in p.read_text() or "parse_args(" not in p.read_text()
    ]
    assert not silent, silent


def test_recorded_results_are_strict_json():
    """Eight files under docs/results held NaN, which JSON readers other than Python's refuse."""

    def refuse(token):
        raise ValueError(token)

    for path in sorted((ROOT / "docs" / "results").rglob("*.json")):
        try:
            json.loads(path.read_text(), parse_constant=refuse)
        except ValueError as exc:
            raise AssertionError(f"{path.name}: {exc}") from None


def test_the_benchmarks_readme_names_every_script():
    """benchmarks/README.md left 17 scripts unnamed: a contributor could not find which page
    records their numbers."""
    readme = (ROOT / "benchmarks" / "README.md").read_text()
    scripts = [*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "benchmarks").glob("*.sh")]
    assert [p.name for p in scripts if p.name not in readme] == []


def _fail_if_trained(*args, **kwargs):
    raise AssertionError("trained before the arguments were checked")


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("jumps_torus", ["--data", "nope"], "unknown data set or missing file 'nope'"),
        ("jumps_torus", ["--set", "hidden"], "--set expects KEY=VALUE"),
        ("jumps_torus", ["--out", "{file}/out"], "--out cannot write"),
        ("jumps_torus", ["--figure", "{file}/figures"], "--figure cannot write"),
        ("jumps_heavy_tails", ["--data", "nope"], "unknown data set or missing file 'nope'"),
        ("jumps_heavy_tails", ["--out", "{file}/out"], "--out cannot write"),
    ],
)
def test_a_bad_jumps_example_argument_is_one_line_and_status_2_before_training(
    name, args, message, tmp_path, monkeypatch, capsys
):
    """They ended in a traceback, jumps_torus's --out only after the whole training."""
    (tmp_path / "a-file").write_text("")
    module = _load(name)
    monkeypatch.setattr(module, "train", _fail_if_trained)
    defaults = ["--out", str(tmp_path / "out"), "--figure", str(tmp_path / "figures")]
    if name == "jumps_heavy_tails":
        defaults = defaults[:2]
    argv = [a.format(file=tmp_path / "a-file") for a in args]
    monkeypatch.setattr("sys.argv", [f"{name}.py", *defaults, *argv])
    with pytest.raises(SystemExit) as exit_:
        module.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"{name}.py: error: {message}"), err


@pytest.mark.parametrize(
    ("name", "argv", "work", "message"),
    [
        ("manifold_torus", ["--n", "0"], "train", "argument --n: --n takes a positive whole"),
        ("manifold_so3", ["mixture", "--steps", "-3"], "train", "argument --steps: --steps takes"),
        ("tabular_orders", ["--rows", "3"], "TabularModel", "--rows must be at least 50, got 3"),
        ("custom_sde", ["--quick", "--out", "{file}/out"], "train", "--out cannot write"),
        ("demo_gallery", ["--copy-to", "{file}/docs"], "main", "--copy-to cannot make"),
    ],
)
def test_a_bad_example_argument_is_an_argparse_error_before_any_work(
    name, argv, work, message, tmp_path, monkeypatch, capsys
):
    (tmp_path / "a-file").write_text("")
    module = _load(name)
    monkeypatch.setattr(module, work, _fail_if_trained)  # demo_gallery's main is dmm demo
    argv = [a.format(file=tmp_path / "a-file") for a in argv]
    monkeypatch.setattr("sys.argv", [f"{name}.py", *argv])
    run = module.run if name == "demo_gallery" else module.main
    with pytest.raises(SystemExit) as exit_:
        run()
    assert exit_.value.code == 2
    assert f"{name}.py: error: {message}" in capsys.readouterr().err


def test_custom_sde_quick_writes_its_figure_where_out_says(tmp_path):
    # --quick ignored --out silently; it writes the figure when --out is given
    _load("custom_sde").main(["--quick", "--out", str(tmp_path / "new")])
    assert (tmp_path / "new" / "samples.png").is_file()
