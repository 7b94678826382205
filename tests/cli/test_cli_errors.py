"""Every user error: one line on stderr, exit status 2, no traceback, nothing overwritten."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_tiny import TINY

from dmm.cli.catalog import PROCESSES, get_process
from dmm.cli.main import main
from dmm.processes import VP
from dmm.spaces import Euclidean


def _fails(capsys, argv, *needles):
    """``main(argv)`` exits 2 with one stderr line containing every needle."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dmm: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _train(out, data="moons", *extra):
    return ["train", "--process", "vp", "--data", str(data), "--out", str(out), *TINY, *extra]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def arrays(tmp_path):
    rng = np.random.default_rng(0)
    good = rng.normal(size=(64, 2)).astype(np.float32)
    files = {}
    nan = good.copy()
    nan[[3, 7]] = np.nan
    inf = good.copy()
    inf[5, 1] = np.inf
    for name, array in {
        "nan": nan,
        "inf": inf,
        "text": np.array([["a", "b"]] * 8),
        "one": good[:1],
    }.items():
        files[name] = tmp_path / f"{name}.npy"
        np.save(files[name], array)
    files["garbage"] = tmp_path / "garbage.npy"
    files["garbage"].write_bytes(b"this is not a numpy file")
    files["csv"] = tmp_path / "bad.csv"
    files["csv"].write_text("x,y\n1,2\n3,oops\n")
    files["txt"] = tmp_path / "data.txt"
    files["txt"].write_text("1,2\n")
    return files


@pytest.mark.parametrize(
    "case, needles",
    [
        ("missing", ["missing file", "built-ins"]),
        ("garbage", ["could not read"]),
        ("nan", ["NaN or infinite", "3, 7"]),
        ("inf", ["NaN or infinite", "5"]),
        ("text", ["non-numeric"]),
        ("csv", ["line 3", "oops"]),
        ("txt", ["extension"]),
        ("one", ["at least 2 rows"]),
    ],
)
def test_bad_data_files(capsys, tmp_path, arrays, case, needles):
    data = arrays.get(case, tmp_path / "nowhere.npy")
    _fails(capsys, _train(tmp_path / "run", data), *needles)
    assert not (tmp_path / "run").exists()  # nothing written


@pytest.mark.parametrize(
    "sets, needles",
    [
        (["hidden=-3"], ["invalid parameter", "positive"]),
        (["t_min=5"], ["t_min"]),
        (["schedule=bogus"], ["schedule", "bogus"]),
        (["weighting=l3"], ["weighting"]),
        (["hidden=abc"], ["'hidden' must be a number"]),
        (["lr=-1"], ["lr"]),
        (["log_every=0"], ["log_every must be positive"]),
        (["depth=2.5"], ["'depth' must be an integer"]),
        (["lr_schedule=wavy"], ["lr_schedule"]),
        (["nonsense=1"], ["unknown parameter 'nonsense'", "hidden"]),
        (["train.hidden=1"], ["unknown train parameter 'hidden'"]),
        (["sampler=rk99"], ["unknown sampler 'rk99'", "ode-heun"]),
        (["sample_steps=0"], ["sample_steps"]),
        (["novalue"], ["KEY=VALUE"]),
        (["hidden=.inf"], ["'hidden' must be a finite number", "inf"]),
        (["steps=.inf"], ["'steps' must be a finite number"]),
        (["lr=.nan"], ["'lr' must be a finite number", "nan"]),
        (["train.lr=-.inf"], ["'train.lr' must be a finite number"]),
    ],
)
def test_bad_parameters(capsys, tmp_path, sets, needles):
    argv = _train(tmp_path / "run")
    for item in sets:
        argv += ["--set", item]
    _fails(capsys, argv, *needles)
    assert not (tmp_path / "run").exists()


def test_unknown_process_and_missing_arguments(capsys, tmp_path):
    _fails(capsys, ["train", "--process", "vq", "--data", "moons"], "unknown process 'vq'", "vp")
    _fails(capsys, ["train", "--data", "moons"], "--process is required")
    _fails(capsys, ["train", "--process", "vp"], "--data is required")
    _fails(capsys, ["train", "--process", "vp", "--data", "moons", "--device", "tpu"], "--device")
    _fails(capsys, ["train", "--process", "vp", "--data", "moons", "--n-data", "0"], "--n-data")
    _fails(capsys, ["train", "--process", "vp", "--data", "moons", "--steps", "x"], "invalid int")
    _fails(capsys, ["frobnicate"], "invalid choice")
    # no prefix abbreviations: a misspelt option is an error, not a silently started run
    out = tmp_path / "abbrev"
    _fails(capsys, ["train", "--proces", "vp", "--data", "moons", "--out", str(out)], "--proces")
    assert not out.exists()
    _fails(capsys, ["train", "--config", str(tmp_path / "none.yaml")], "config file not found")
    bad = tmp_path / "bad.yaml"
    bad.write_text("process: [unclosed\n")
    _fails(capsys, ["train", "--config", str(bad)], "could not read config file")
    bad.write_text("- a list\n")
    _fails(capsys, ["train", "--config", str(bad)], "must hold a mapping")


def _halfplane_spec():
    """VP whose space excludes x_0 < 0: a stand-in for any family with a restricted support."""

    class HalfPlane(Euclidean):
        support_text = "x_0 >= 0"

        def outside(self, x):
            return x[:, 0] < 0

    def build(data, params):
        process = VP(2, t_min=params["t_min"])
        process.space = HalfPlane(2)
        return process

    vp = get_process("vp")  # standardising would move the data: off for a restricted space
    params = {**vp.params, "standardise": False}
    return dataclasses.replace(vp, name="test-halfplane", build=build, params=params)


def test_data_outside_the_state_space_names_rows(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(PROCESSES, "test-halfplane", _halfplane_spec())
    x = np.abs(np.random.default_rng(1).normal(size=(40, 2))).astype(np.float32)
    x[[2, 11], 0] = -1.0
    np.save(tmp_path / "x.npy", x)
    argv = [
        "train",
        "--process",
        "test-halfplane",
        "--data",
        str(tmp_path / "x.npy"),
        "--out",
        str(tmp_path / "run"),
        *TINY,
    ]
    _fails(capsys, argv, "outside", "x_0 >= 0", "2 row(s): 2, 11")
    assert not (tmp_path / "run").exists()


def test_wrong_shape(capsys, tmp_path, tiny_run):
    np.save(tmp_path / "flat.npy", np.zeros(30, dtype=np.float32))
    _fails(capsys, _train(tmp_path / "run", tmp_path / "flat.npy"), "shape (30,)")
    np.save(tmp_path / "cube.npy", np.zeros((30, 3, 3), dtype=np.float32))
    _fails(
        capsys,
        ["eval", str(tiny_run), "--data", str(tmp_path / "cube.npy")],
        "shape (30, 3, 3)",
        "expected (n, 2)",
    )


def test_existing_run_folder_is_not_overwritten(capsys, tiny_run, tmp_path):
    before = _snapshot(tiny_run)
    _fails(capsys, _train(tiny_run), "already exists", "--resume", "--force")
    _fails(capsys, ["train", "--resume", str(tiny_run), "--force"], "exclude")
    _fails(capsys, ["train", "--resume", str(tiny_run), "--process", "ve"], "differs")
    _fails(capsys, ["train", "--resume", str(tiny_run), "--set", "hidden=32"], "cannot change")
    _fails(capsys, ["train", "--resume", str(tmp_path / "none")], "run folder not found")
    assert _snapshot(tiny_run) == before


def test_force_overwrites(capsys, tmp_path):
    out = tmp_path / "run"
    assert main([*_train(out), "--steps", "5"]) == 0
    (out / "log.jsonl").write_text("stale\n")
    (out / "notes.txt").write_text("mine")
    _fails(capsys, _train(out), "already exists")
    assert main([*_train(out), "--force", "--steps", "5"]) == 0
    assert (out / "notes.txt").read_text() == "mine"  # only the run's own files are replaced
    assert "stale" not in (out / "log.jsonl").read_text()


def test_corrupt_or_missing_checkpoint(capsys, tiny_run, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_run, broken)
    (broken / "checkpoint.pt").write_bytes(b"\x00garbage")
    out = tmp_path / "x.npy"
    _fails(capsys, ["sample", str(broken), "-n", "5", "-o", str(out)], "corrupt checkpoint")
    _fails(capsys, ["eval", str(broken), "--data", "moons"], "corrupt checkpoint")
    _fails(capsys, ["train", "--resume", str(broken)], "corrupt checkpoint")
    (broken / "checkpoint.pt").unlink()
    _fails(capsys, ["plot", str(broken)], "no checkpoint")
    (broken / "config.yaml").unlink()
    _fails(capsys, ["sample", str(broken), "-n", "5", "-o", str(out)], "not a run folder")
    assert not out.exists()


def test_bad_sample_and_eval_arguments(capsys, tiny_run, tmp_path):
    out = tmp_path / "x.npy"
    run = str(tiny_run)
    _fails(
        capsys,
        ["sample", run, "-n", "5", "-o", str(out), "--sampler", "rk4"],
        "unknown sampler 'rk4'",
        "em",
    )
    _fails(capsys, ["sample", run, "-n", "0", "-o", str(out)], "-n must be positive")
    _fails(
        capsys, ["sample", run, "-n", "5", "-o", str(tmp_path / "x.txt")], ".npy, .csv or .parquet"
    )
    _fails(
        capsys, ["sample", run, "-n", "5", "-o", str(tmp_path / "no" / "x.npy")], "does not exist"
    )
    _fails(capsys, ["sample", run, "-n", "5", "-o", str(out), "--steps", "0"], "--steps")
    out.write_bytes(b"keep")
    _fails(capsys, ["sample", run, "-n", "5", "-o", str(out)], "already exists")
    assert out.read_bytes() == b"keep"
    _fails(capsys, ["eval", run, "--data", str(tmp_path / "none.npy")], "missing file")
    _fails(capsys, ["eval", run, "--data", "moons", "-n", "1"], "-n must be at least 2")
    _fails(capsys, ["demo", "--only", "nope", "--out", str(tmp_path / "d")], "unknown demo panel")
    # a folder named like the output is never replaced, and no temporary file is left
    (tmp_path / "dir.npy").mkdir()
    _fails(capsys, ["sample", run, "-n", "5", "-o", str(tmp_path / "dir.npy"), "--force"], "folder")
    assert not [p for p in tmp_path.iterdir() if "tmp" in p.name]


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("command", ["sample", "eval", "plot"])
def test_cuda_without_cuda_says_so_for_every_command(capsys, tiny_run, tmp_path, command):
    extra = {"sample": ["-n", "5", "-o", str(tmp_path / "x.npy")], "eval": ["--data", "moons"],
             "plot": []}[command]  # fmt: skip
    _fails(capsys, [command, str(tiny_run), *extra, "--device", "cuda"], "CUDA is not available")


def test_a_config_with_a_bad_sample_steps_is_one_line(capsys, tiny_run, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(tiny_run, run)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("sample_steps:", "sample_steps: many #"))
    argv = ["sample", str(run), "-n", "5", "-o", str(tmp_path / "x.npy")]
    _fails(capsys, argv, "sample_steps must be an integer", "many")


def test_console_script_prints_one_line_and_exits_2(tmp_path):
    # the installed entry point, in a fresh interpreter: status 2 and no traceback
    exe = Path(sys.executable).with_name("dmm")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dmm.cli.main"]
    proc = subprocess.run(
        [*cmd, "train", "--process", "vp", "--data", str(tmp_path / "x.npy")],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"dmm: error: unknown data set or missing file '{tmp_path / 'x.npy'}' (built-ins: "
        + proc.stderr.split("(built-ins: ")[1].strip()
    ]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize(
    "out, needles",
    [
        ("/proc/dmm-run", ["cannot write run folder", "/proc/dmm-run"]),
        ("plain.txt/sub", ["cannot write run folder", "Not a directory"]),
        ("x" * 300, ["cannot use --out", "too long"]),
    ],
)
def test_an_unwritable_out_is_one_line_and_leaves_nothing(
    capsys, tmp_path, monkeypatch, out, needles
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain.txt").write_text("keep me")
    before = sorted(p.name for p in tmp_path.iterdir())
    _fails(capsys, _train(out), *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "plain.txt").read_text() == "keep me"


def test_force_never_replaces_a_file(capsys, tmp_path):
    target = tmp_path / "notes.csv"
    target.write_text("a,b\n")
    _fails(capsys, _train(target, "moons", "--force"), "is a file, not a run folder")
    assert target.read_text() == "a,b\n"


def test_a_failed_start_removes_the_folder_it_created(capsys, tmp_path):
    # a learning rate of 1e30 blows up the first steps (a runtime failure, exit 1): no checkpoint
    # was written, so nothing of the run is left behind (data of size 1e30 did this before they
    # were refused up front)
    assert main(_train(tmp_path / "run", "moons", "--set", "lr=1e30")) != 0
    assert "diverged" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_and_boolean_data_train_a_continuous_process(capsys, tmp_path, dtype):
    rows = (np.arange(128).reshape(64, 2) % 5).astype(dtype)
    np.save(tmp_path / "rows.npy", rows)
    assert main(_train(tmp_path / "run", tmp_path / "rows.npy")) == 0
    assert (tmp_path / "run" / "checkpoint.pt").is_file()


def test_resume_never_goes_back_in_steps(capsys, tiny_run, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(tiny_run, run)
    before = _snapshot(run)
    _fails(
        capsys, ["train", "--resume", str(run), "--steps", "5"], "already at step 20", "--steps 5"
    )
    assert _snapshot(run) == before  # config.yaml still says what the checkpoint holds
    # a finished run resumed at its own step count: it said "done ... wrote ..." and wrote nothing
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "already at step 20 of 20: nothing to train" in out and "wrote" not in out, out
    assert _snapshot(run) == before
    (run / "loss.png").unlink()  # a run killed between its last checkpoint and its loss plot
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert (run / "loss.png").is_file()


def test_data_beyond_float32_is_one_line(capsys, tmp_path):
    import warnings

    np.save(tmp_path / "huge.npy", np.full((16, 2), 1e39))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning on the way would be a second line
        _fails(capsys, _train(tmp_path / "run", tmp_path / "huge.npy"), "beyond float32", "1e+39")
    assert not (tmp_path / "run").exists()


def test_a_run_folder_in_use_is_refused_and_a_stale_lock_is_replaced(capsys, tiny_run, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(tiny_run, run)
    lock = run / ".dmm.lock"
    lock.write_text(str(os.getppid()))  # a live process (this one's parent) holds the folder
    before = _snapshot(run)
    _fails(
        capsys, ["train", "--resume", str(run), "--steps", "30"], f"in use by PID {os.getppid()}"
    )
    _fails(capsys, _train(run, "moons", "--force"), "in use by PID")  # --force does not break in
    assert _snapshot(run) == before
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    lock.write_text(dead)  # its process has exited: the lock is stale
    assert main(["train", "--resume", str(run), "--steps", "30"]) == 0
    assert not lock.exists()  # released at the end
    # a PID that lives but is another process than the lock's (reused, or PID 1 of a container,
    # which is the resuming process itself): stale too; they blocked the folder for good
    lock.write_text(f"{os.getppid()} 1")  # the parent, recorded with another start time
    assert main(["train", "--resume", str(run), "--steps", "35"]) == 0
    lock.write_text(str(os.getpid()))  # this process: it holds no other lock
    assert main(["train", "--resume", str(run), "--steps", "40"]) == 0
    # written in another PID namespace (another container): its PID cannot be looked up here
    lock.write_text(f"{os.getpid()} - pid:[1]")
    _fails(capsys, ["train", "--resume", str(run), "--steps", "45"], "another PID namespace")
    lock.unlink()


class _RunsCode:
    """Unpickling this calls ``Path.touch`` on ``marker``: what a hostile checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("command", ["sample", "eval", "plot", "train"])
def test_a_checkpoint_whose_pickle_runs_code_is_refused(capsys, tiny_run, tmp_path, command):
    import shutil

    hostile = tmp_path / "hostile"
    shutil.copytree(tiny_run, hostile)
    marker = tmp_path / "code-ran"
    state = torch.load(hostile / "checkpoint.pt", weights_only=True)
    torch.save({**state, "history": _RunsCode(marker)}, hostile / "checkpoint.pt")
    with pytest.raises(pickle.UnpicklingError):  # the safe loader sees a non-tensor global
        torch.load(hostile / "checkpoint.pt", weights_only=True)
    before = _snapshot(hostile)
    out = tmp_path / "x.npy"
    argv = {
        "sample": ["sample", str(hostile), "-n", "5", "-o", str(out)],
        "eval": ["eval", str(hostile), "--data", "moons", "-n", "20"],
        "plot": ["plot", str(hostile), "-n", "20"],
        "train": ["train", "--resume", str(hostile), "--steps", "40"],
    }[command]
    _fails(capsys, argv, "refusing checkpoint", "could run code")
    assert not marker.exists() and not out.exists()
    assert _snapshot(hostile) == before
    torch.load(hostile / "checkpoint.pt", weights_only=False)  # the unsafe load does run it
    assert marker.exists()


def test_a_diverging_run_stops_with_one_line_and_leaves_nothing(capsys, tmp_path):
    out = tmp_path / "run"
    argv = ["train", "--process", "vp", "--data", "moons", "--out", str(out), "--quiet"]
    assert main([*argv, "--steps", "300", "--set", "lr=10", "--set", "warmup=20"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dmm: error: training diverged: the loss exploded")
    assert "no checkpoint had been written; try a smaller lr" in err[0]
    assert not out.exists()  # nothing to resume from: the failed start removed its folder


@pytest.mark.parametrize("seed", ["1e23", "100000000000000000000000", "-5", "x"])
def test_a_bad_seed_is_one_line(capsys, tmp_path, seed):
    _fails(capsys, [*_train(tmp_path / "r"), f"--seed={seed}"], "seed must be an integer in [0, ")
    _fails(capsys, [*_train(tmp_path / "r"), "--set", f"seed={seed}"], "seed must be an integer")
    assert not (tmp_path / "r").exists()


def test_set_seed_is_the_run_seed(capsys, tmp_path):
    assert main([*_train(tmp_path / "a"), "--set", "seed=7"]) == 0
    assert main([*_train(tmp_path / "b"), "--seed", "7"]) == 0
    a, b = (torch.load(tmp_path / r / "checkpoint.pt", weights_only=True) for r in "ab")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert a["config"]["seed"] == 7


def test_a_reader_that_goes_away_is_no_error():
    # `dmm processes | head -1` with head gone: the pipe is closed before dmm (still importing
    # torch) writes its first line; no traceback, and SIGPIPE's status
    exe = Path(sys.executable).with_name("dmm")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dmm.cli.main"]
    proc = subprocess.Popen(
        [*cmd, "processes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert err == b""


def test_non_finite_samples_are_an_error_unless_kept(capsys, tiny_run, tmp_path):
    import shutil

    broken = tmp_path / "nan"
    shutil.copytree(tiny_run, broken)
    state = torch.load(broken / "checkpoint.pt", weights_only=True)
    name = next(k for k in state["ema"] if k.endswith("bias"))
    state["ema"][name][0] = float("nan")  # a weight that makes every sample NaN
    torch.save(state, broken / "checkpoint.pt")
    out = tmp_path / "x.npy"
    argv = ["sample", str(broken), "-n", "20", "-o", str(out)]
    _fails(capsys, argv, "20 of 20 samples are not finite", "--keep-nonfinite")
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["nan"]
    _fails(capsys, ["eval", str(broken), "--data", "moons", "-n", "20"], "not finite")
    _fails(capsys, ["plot", str(broken), "-n", "20"], "not finite")
    assert main([*argv, "--keep-nonfinite"]) == 0
    assert "WARNING: 20 samples are not finite" in capsys.readouterr().out
    assert np.isnan(np.load(out)).all()


def test_a_bad_set_value_is_refused_even_when_a_flag_overrides_it(capsys, tmp_path):
    _fails(capsys, [*_train(tmp_path / "r"), "--set", "steps=abc"], "steps")
    _fails(capsys, [*_train(tmp_path / "r"), "--set", "batch_size=-32"], "batch_size")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "process, data", [("torus-brownian", "torus-vonmises"), ("so3-brownian", "so3-mixture-16")]
)
def test_denoise_true_is_refused_when_training_a_process_without_a_denoiser(
    capsys, tmp_path, process, data
):
    """``--set denoise=true`` was recorded, and every later sample, eval and plot of the run
    failed on it with a flag the user never typed (``--denoise needs ...``)."""
    out = tmp_path / "run"
    argv = ["train", "--process", process, "--data", data, "--n-data", "50", "--steps", "2"]
    _fails(capsys, [*argv, "--out", str(out), "--set", "denoise=true"], "denoise=true needs")
    assert not out.exists()
