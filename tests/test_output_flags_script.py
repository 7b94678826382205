"""The benchmarks' output files: a path that cannot be written is refused when the arguments are
parsed (it was found after the whole run, in a traceback, and the results were lost), a missing
folder is made when the file is written, and a bad ``--set`` is one line, not a traceback."""

from __future__ import annotations

import json

import pytest
import torch

from scripts import load_script


def _no_work(*args, **kwargs):
    raise AssertionError("the script went past its arguments")


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("terminal_tails", "--json"),
        ("product_sampler", "--json"),
        ("em_grids", "--json"),
        ("tabular", "--markdown"),
        ("jumps_oracle", "--out"),
        ("chains_scaling", "--out"),
        ("chains_tiny_oracle", "--figure"),
    ],
)
def test_an_output_file_that_cannot_be_written_is_refused_before_any_work(
    name, flag, tmp_path, monkeypatch, capsys
):
    bench = load_script("benchmarks", name)
    (tmp_path / "a-file").write_text("")
    monkeypatch.setattr(torch, "set_num_threads", _no_work)  # each calls it after parsing
    monkeypatch.setattr("sys.argv", [f"{name}.py", flag, str(tmp_path / "a-file" / "x.json")])
    with pytest.raises(SystemExit) as exit_:
        bench.main() if hasattr(bench, "main") else bench.main_()
    assert exit_.value.code == 2
    assert f"{name}.py: error: argument {flag}: {flag} cannot write" in capsys.readouterr().err


def test_a_missing_json_folder_is_made_when_the_results_are_written(tmp_path):
    bench = load_script("benchmarks", "peers_seeds")
    row = {"set": "moons", "method": "dmm", "budget": 10, "c2st_auc": 0.5}
    runs = [tmp_path / f"run{i}.json" for i in range(2)]
    for path in runs:
        path.write_text(json.dumps({"rows": [row, {**row, "method": "icfm"}]}))
    out = tmp_path / "new" / "folder" / "seeds.json"
    rows = bench.main([*map(str, runs), "--json", str(out)])
    assert json.loads(out.read_text()) == rows


def test_a_bad_set_of_jumps_cost_is_one_line_and_status_2(tmp_path, monkeypatch, capsys):
    bench = load_script("benchmarks", "jumps_cost")
    argv = ["jumps_cost.py", "--dims", "2", "--ks", "1", "--out", str(tmp_path / "c.json")]
    for item, message in (("hidden", "--set expects KEY=VALUE"), ("nope=1", "unknown parameter")):
        monkeypatch.setattr("sys.argv", [*argv, "--set", item])
        with pytest.raises(SystemExit) as exit_:
            bench.main()
        assert exit_.value.code == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(f"jumps_cost.py: error: {message}"), err
    assert not (tmp_path / "c.json").exists()


def test_the_committed_results_a_trial_run_overwrites_are_named_in_help(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "400")  # one line per option
    for name, default in (
        ("jumps_cost", "docs/results/jumps_cost.json"),
        ("jumps_ablation", "docs/results/jumps_ablation.json"),
        ("jumps_loss_variance", "docs/results/jumps_loss_variance.json"),
        ("jumps_oracle", "docs/results/jumps_oracle.json"),
        ("orthant_quality", "docs/results/orthant_quality"),
        ("chains_digits", "docs/results/chains_digits_<process>[_cond].json"),
        ("chains_scaling", "docs/results/chains_scaling.json"),
        ("chains_tiny_oracle", "docs/figures/chains_discretisation.png"),
    ):
        monkeypatch.setattr("sys.argv", [f"{name}.py", "--help"])
        with pytest.raises(SystemExit):
            load_script("benchmarks", name).main()
        assert f"(default: {default}" in capsys.readouterr().out, name
