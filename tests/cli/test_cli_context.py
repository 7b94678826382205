"""Conditioning from the command line: ``dmm train --context FILE`` / ``--context-column NAME``
and ``dmm sample --context``; eval and plot of a conditional run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml

from dmm.cli.main import main

SMALL = ["--quiet", "--set", "hidden=64", "--set", "depth=2", "--set", "log_every=50"]


def _fails(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dmm: error: ") and needle in err[0], err


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """Two clusters at x = -2 (label 0) and x = +2 (label 1), std 0.3; the label is column 2."""
    folder = tmp_path_factory.mktemp("cond")
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, 1000)
    xy = rng.normal(size=(1000, 2)) * 0.3
    xy[:, 0] += np.where(label == 1, 2.0, -2.0)
    path = folder / "cond.csv"
    with path.open("w") as fh:
        fh.write("x,label,y\n")
        for (x, y), c in zip(xy, label):
            fh.write(f"{x},{c},{y}\n")
    np.save(folder / "xy.npy", xy.astype(np.float32))
    np.save(folder / "label.npy", label.astype(np.float64))
    run = folder / "run"
    torch.set_num_threads(1)
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(run), "--steps", "400"]
    assert main([*argv, "--context-column", "label", *SMALL]) == 0
    return folder, run


def test_samples_follow_their_context(labelled, tmp_path, capsys):
    # tolerance: the clusters sit at -2 and +2 with std 0.3; a model that ignored the label
    # would put the mean of x near 0 for both (its mixture's mean), so |mean - (+-2)| < 0.5 fails
    # it and passes a conditional model with 500 samples (standard error 0.013)
    folder, run = labelled
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["columns"] == ["x", "y"] and config["context"]["dim"] == 1
    assert config["context"]["source"] == {"columns": ["label"]}
    for label, centre in ((0, -2.0), (1, 2.0)):
        out = tmp_path / f"s{label}.csv"
        argv = ["sample", str(run), "-n", "500", "--context", str(label), "-o", str(out)]
        assert main([*argv, "--steps", "100", "--quiet"]) == 0
        assert out.read_text().splitlines()[0] == "x,y"
        x = np.loadtxt(out, delimiter=",", skiprows=1)
        assert abs(x[:, 0].mean() - centre) < 0.5, (label, x.mean(0))
    # a file of context rows: one sample per row
    np.save(tmp_path / "c.npy", np.array([0.0] * 100 + [1.0] * 100))
    out = tmp_path / "rows.npy"
    argv = ["sample", str(run), "--context", str(tmp_path / "c.npy"), "-o", str(out)]
    assert main([*argv, "--steps", "100", "--quiet"]) == 0
    x = np.load(out)
    assert x.shape == (200, 2) and x[:100, 0].mean() < -1.5 and x[100:, 0].mean() > 1.5


def test_a_context_file_trains_the_same_model_as_a_context_column(labelled, tmp_path):
    folder, run = labelled
    other = tmp_path / "run"
    argv = ["train", "--process", "vp", "--data", str(folder / "xy.npy"), "--out", str(other)]
    argv += ["--steps", "400", "--context", str(folder / "label.npy"), *SMALL]
    assert main(argv) == 0
    a, b = (torch.load(r / "checkpoint.pt", weights_only=True) for r in (run, other))
    for name, value in a["ema"].items():  # same rows, same contexts, same seed
        assert torch.allclose(value, b["ema"][name], atol=1e-5), name


def test_a_conditional_runs_config_trains_the_same_model_again(labelled, tmp_path):
    """``config.yaml`` is a valid ``--config``: its recorded conditioning (``context.source``)
    and held-out share are used as if given as flags (they were dropped: the rerun trained
    unconditionally on three columns)."""
    folder, run = labelled
    again = tmp_path / "again"
    argv = ["train", "--config", str(run / "config.yaml"), "--out", str(again), "--quiet"]
    assert main(argv) == 0
    config = yaml.safe_load((again / "config.yaml").read_text())
    assert config["context"]["source"] == {"columns": ["label"]} and config["columns"] == ["x", "y"]
    a, b = (torch.load(r / "checkpoint.pt", weights_only=True) for r in (run, again))
    for name, value in a["ema"].items():
        assert torch.equal(value, b["ema"][name]), name
    # another held-out share, recorded as {fraction, rows}, is read back from the file
    other = tmp_path / "other"
    argv = ["train", "--process", "vp", "--data", str(folder / "cond.csv"), "--out", str(other)]
    assert main([*argv, "--steps", "20", "--holdout", "0.25", *SMALL]) == 0
    third = tmp_path / "third"
    argv = ["train", "--config", str(other / "config.yaml"), "--out", str(third), "--quiet"]
    assert main(argv) == 0
    assert yaml.safe_load((third / "config.yaml").read_text())["holdout"]["fraction"] == 0.25


def test_eval_and_plot_use_the_rows_own_contexts(labelled, capsys):
    _, run = labelled
    assert main(["eval", str(run), "--steps", "50", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reference"] == "the 100 rows of cond.csv held out at training time"
    assert report["n_samples"] == 100 and report["family"] == {}
    assert report["error_report"]["estimation"]["value"] is not None
    # -n was ignored silently: one sample per held-out row is drawn whatever it says
    argv = ["eval", str(run), "--steps", "5", "--quiet", "-n", "500", "--null-permutations", "0"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["n_samples"] == 100 and "note: -n 500 is not used" in err
    _fails(capsys, ["eval", str(run), "--data", "moons"], "evaluated on its own held-out rows")
    # it crashed with a traceback after all its sampling
    _fails(capsys, ["eval", str(run), "--likelihood"], "--likelihood is for unconditional runs")
    assert main(["plot", str(run), "-n", "200", "--steps", "20", "--frames", "3", "--quiet"]) == 0


def test_context_errors_are_one_line(labelled, tmp_path, capsys):
    folder, run = labelled
    out = tmp_path / "s.npy"
    _fails(capsys, ["sample", str(run), "-n", "5", "-o", str(out)], "the run is conditional")
    two = ["sample", str(run), "-n", "5", "--context", "1,2", "-o", str(out)]
    _fails(capsys, two, "--context rows have 2 numbers, the run's context 1")
    _fails(capsys, ["sample", str(run), "--context", "1", "-o", str(out)], "-n is required")
    _fails(capsys, ["sample", str(run), "-n", "5", "--context", "a", "-o", str(out)], "numbers")
    _fails(capsys, ["sample", str(run), "-n", "5", "--context", "nan", "-o", str(out)], "finite")
    train = ["train", "--process", "vp", "--out", str(tmp_path / "r"), *SMALL]
    xy, csv = str(folder / "xy.npy"), str(folder / "cond.csv")
    np.save(tmp_path / "short.npy", np.zeros(7))
    _fails(capsys, [*train, "--data", xy, "--context", str(tmp_path / "short.npy")], "7 rows")
    _fails(capsys, [*train, "--data", "moons", "--context", xy], "not a built-in")
    _fails(capsys, [*train, "--data", csv, "--context-column", "z"], "no such column")
    _fails(capsys, [*train, "--data", xy, "--context-column", "x"], "header row")
    _fails(capsys, [*train, "--data", csv, "--context-column", "x", "--context-column", "label",
                    "--context-column", "y"], "nothing is left")  # fmt: skip
    _fails(capsys, ["train", "--resume", str(run), "--context", xy], "leave out --context")
    resumed = ["train", "--resume", str(run), "--context-column", "label"]
    _fails(capsys, resumed, "leave out --context-column")  # it named --context
    assert not (tmp_path / "r").exists() and not out.exists()


def test_a_conditional_run_resumes_exactly(labelled, tmp_path):
    folder, _ = labelled

    def train(out, steps):
        argv = ["train", "--process", "vp", "--data", str(folder / "cond.csv"), "--out", str(out)]
        argv += ["--steps", str(steps), "--context-column", "label", *SMALL]
        # a constant rate: 30 steps then 30 more follow the 60-step run's schedule
        schedule = ["--set", "lr_schedule=constant", "--set", "warmup=0"]
        return main([*argv, "--set", "checkpoint_every=30", *schedule])

    assert train(tmp_path / "full", 60) == 0
    assert train(tmp_path / "cut", 30) == 0
    assert main(["train", "--resume", str(tmp_path / "cut"), "--steps", "60", "--quiet"]) == 0
    a, b = (torch.load(tmp_path / r / "checkpoint.pt", weights_only=True) for r in ("full", "cut"))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])


def test_eval_of_a_conditional_run_compares_the_joint_law(labelled, tmp_path, capsys, monkeypatch):
    """Every metric saw the samples without their contexts: a model that put every sample in
    the other label's cluster read C2ST AUC 0.509, as a right one did. With each row's context
    beside it, the swapped model is told apart."""
    import dmm.cli.eval

    _, run = labelled
    aucs = {}
    for name, sign in (("right", 1.0), ("swapped", -1.0)):

        def fake(run_, setup, n, seed, device, callback, context=None, sign=sign):
            g = torch.Generator().manual_seed(seed)
            c = context[:, 0].double()
            x = sign * torch.where(c > 0.5, 2.0, -2.0) + 0.3 * torch.randn(
                len(c), generator=g, dtype=torch.float64
            )
            y = 0.3 * torch.randn(len(c), generator=g, dtype=torch.float64)
            return torch.stack([x, y], 1).float()

        monkeypatch.setattr(dmm.cli.eval, "draw", fake)
        assert main(["eval", str(run), "--quiet", "--null-permutations", "0"]) == 0
        report = json.loads(capsys.readouterr().out)
        aucs[name] = report["two_sample"]["c2st_auc"]
        assert "context" in report["two_sample"]["coordinates"]
    assert aucs["swapped"] > 0.9 and aucs["right"] < 0.7, aucs


def test_eval_of_a_conditional_chain_run_has_a_family_note(tmp_path, capsys):
    """``family`` held a note that eval then turned into a float: a traceback for every
    conditional chain run."""
    rng = np.random.default_rng(0)
    rows = np.column_stack(
        [rng.integers(0, 4, 200), rng.integers(0, 4, 200), rng.integers(0, 2, 200)]
    )
    path = tmp_path / "ints.csv"
    np.savetxt(path, rows, fmt="%d", delimiter=",", header="a,b,lab", comments="")
    run = tmp_path / "run"
    argv = ["train", "--process", "uniform", "--data", str(path), "--context-column", "lab"]
    assert main([*argv, "--out", str(run), "--steps", "10", "--quiet", "--set", "hidden=16"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--quiet", "--steps", "5"]) == 0
    assert "unconditional runs" in json.loads(capsys.readouterr().out)["family"]["note"]


def test_a_context_file_with_a_header_is_matched_by_name(tmp_path, capsys):
    """A context .csv with its columns swapped was read by position: wrong samples, no word."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.savetxt(
        tmp_path / "c.csv", rng.normal(size=(200, 2)), delimiter=",", header="u,v", comments=""
    )
    run = tmp_path / "run"
    argv = [
        "train",
        "--process",
        "vp",
        "--data",
        str(tmp_path / "x.npy"),
        "--context",
        str(tmp_path / "c.csv"),
    ]
    assert main([*argv, "--out", str(run), "--steps", "5", "--quiet", "--set", "hidden=8"]) == 0
    assert yaml.safe_load((run / "config.yaml").read_text())["context"]["source"]["names"] == [
        "u",
        "v",
    ]
    rows = np.array([[5.0, -5.0], [1.0, 2.0]])
    np.savetxt(tmp_path / "uv.csv", rows, delimiter=",", header="u,v", comments="")
    np.savetxt(tmp_path / "vu.csv", rows[:, ::-1], delimiter=",", header="v,u", comments="")
    np.savetxt(tmp_path / "ab.csv", rows, delimiter=",", header="a,b", comments="")
    outs = {}
    for name in ("uv", "vu"):
        out = tmp_path / f"{name}.npy"
        sample = ["sample", str(run), "--context", str(tmp_path / f"{name}.csv"), "-o", str(out)]
        assert main([*sample, "--steps", "3", "--quiet"]) == 0
        outs[name] = np.load(out)
    np.testing.assert_array_equal(outs["uv"], outs["vu"])  # the same rows, named in either order
    # (5, -5) lies beyond the training contexts (about ±4): noted for both files, by name
    assert capsys.readouterr().err.count("1 of the 2 context rows lie beyond the training") == 2
    bad = [
        "sample",
        str(run),
        "--context",
        str(tmp_path / "ab.csv"),
        "-o",
        str(tmp_path / "ab.npy"),
    ]
    _fails(capsys, bad, "--context columns a, b are not the run's context columns u, v")


def test_eval_of_a_conditional_chain_run_keeps_its_context_continuous(
    tmp_path, capsys, monkeypatch
):
    """The context was cast to the chain's integer states before it joined them: ±0.97 became
    0 or -1, and a model wrong on every row read C2ST AUC 0.775."""
    import dmm.cli.eval

    seen = []
    real = dmm.cli.eval._c2st
    monkeypatch.setattr(dmm.cli.eval, "_c2st", lambda a, b, *r: seen.append(a) or real(a, b, *r))
    rng = np.random.default_rng(0)
    u = rng.normal(size=200)
    rows = np.column_stack([np.where(u > 0, 3, 0), rng.integers(0, 4, 200), u])
    path = tmp_path / "ints.csv"
    np.savetxt(path, rows, fmt=["%d", "%d", "%.4f"], delimiter=",", header="a,b,u", comments="")
    run = tmp_path / "run"
    argv = ["train", "--process", "uniform", "--data", str(path), "--context-column", "u"]
    assert main([*argv, "--out", str(run), "--steps", "5", "--quiet", "--set", "hidden=16"]) == 0
    assert main(["eval", str(run), "--quiet", "--steps", "3", "--null-permutations", "0"]) == 0
    assert seen[0].is_floating_point() and not torch.equal(seen[0][:, 2], seen[0][:, 2].round())


def test_a_context_beyond_the_training_contexts_is_noted(labelled, tmp_path, capsys):
    """A context of 50 where the training contexts ran from 0 to 2 sampled at 1e12, silently."""
    _, run = labelled
    out = tmp_path / "s.npy"
    argv = ["sample", str(run), "-n", "4", "--steps", "3", "-o", str(out), "--quiet"]
    assert main([*argv, "--context", "1"]) == 0
    assert "beyond the training contexts" not in capsys.readouterr().err
    assert main([*argv, "--context", "5", "--force"]) == 0
    err = capsys.readouterr().err
    assert "note: 4 of the 4 context rows lie beyond the training contexts in 'label' " in err
    assert "(training contexts 0 to 1)" in err


def test_a_training_context_of_a_decimal_is_not_beyond_itself(tmp_path, capsys):
    """context.npy holds float32's 0.1 (0.1000000015): --context 0.1 read as float64 was 'beyond
    the training contexts' (found by a review)."""
    rng = np.random.default_rng(0)
    c = rng.choice([0.1, 0.2, 0.3], size=300)
    table = np.c_[rng.normal(size=(300, 2)) + c[:, None], c]
    np.savetxt(tmp_path / "lab.csv", table, delimiter=",", header="x,y,c", comments="")
    run = tmp_path / "run"
    argv = ["train", "--process", "vp", "--data", str(tmp_path / "lab.csv"), "--out", str(run)]
    assert main([*argv, "--context-column", "c", *SMALL, "--steps", "3"]) == 0
    capsys.readouterr()
    sample = ["sample", str(run), "-n", "4", "--steps", "2", "--quiet", "-o"]
    assert main([*sample, str(tmp_path / "a.npy"), "--context", "0.1"]) == 0
    assert main([*sample, str(tmp_path / "b.npy"), "--context", "0.3"]) == 0
    assert "beyond the training contexts" not in capsys.readouterr().err
