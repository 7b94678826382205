"""A run folder's life: what a full or read-only disk, an interruption, ``--force`` and
``--resume`` leave in it, and what a user is told."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import shutil

import pytest
import torch
from cli_tiny import TINY

import dmm.cli.eval
import dmm.cli.train
import dmm.training
from dmm.cli.main import main
from dmm.data.files import replacing


def _one_line(capsys, *needles):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dmm: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _train(out, *extra):
    return ["train", "--process", "vp", "--data", "moons", *TINY, "--out", str(out), *extra]


@pytest.fixture
def run(tiny_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(tiny_run, copy)
    return copy


def test_a_replaced_file_is_whole_or_untouched(tmp_path):
    """dmm plot interrupted while writing backward.gif left it empty (0 bytes)."""
    path = tmp_path / "backward.gif"
    path.write_text("old")
    with pytest.raises(KeyboardInterrupt), replacing(path) as tmp:
        assert tmp.suffix == ".gif" and tmp.parent == tmp_path
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == [path.name]
    with replacing(path) as tmp:
        tmp.write_text("new")
    assert path.read_text() == "new" and len(list(tmp_path.iterdir())) == 1


def test_a_folder_that_refuses_eval_json_is_one_line_after_the_metrics(run, monkeypatch, capsys):
    """A read-only run folder: eval computed every metric, then died with a traceback and
    printed nothing."""

    @contextlib.contextmanager
    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system", str(path))
        yield

    monkeypatch.setattr(dmm.cli.eval, "replacing", read_only)
    argv = ["eval", str(run), "-n", "64", "--steps", "3", "--data", "moons"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["step"] == 20  # the metrics reached the user first
    error = captured.err.strip().splitlines()[-1]  # after the notes on the metrics
    assert error == f"dmm: error: {run / 'eval.json'}: Read-only file system"


@pytest.mark.parametrize("command", ["eval", "plot"])
def test_a_read_only_run_folder_is_refused_before_any_sampling(run, monkeypatch, capsys, command):
    """eval printed its JSON and then failed with status 2 (after all its sampling); plot wrote
    samples.png and then failed on backward.gif."""
    import dmm.cli.rundir

    real = os.access

    def refuse(path, mode, *args, **kwargs):  # as access(2) answers on a read-only mount
        return False if mode & os.W_OK and str(path) == str(run) else real(path, mode)

    for name in ("eval.json", "samples.png"):  # what another test may have left in tiny_run
        (run / name).unlink(missing_ok=True)
    monkeypatch.setattr(dmm.cli.rundir.os, "access", refuse)
    argv = [command, str(run), "-n", "64", "--steps", "3", "--quiet"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing was computed
    error = captured.err.strip().splitlines()
    assert len(error) == 1 and "cannot be written to (read-only)" in error[0], error
    assert not (run / "eval.json").exists() and not (run / "samples.png").exists()


def test_a_full_disk_leaves_no_checkpoint_temporary_and_no_folder(tmp_path, monkeypatch, capsys):
    """A disk that filled before the first checkpoint left checkpoint.pt.tmp in a folder that
    neither train nor --resume would then take."""

    def full(obj, fh):
        fh.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    out = tmp_path / "run"
    assert main(_train(out)) == 2
    _one_line(capsys, "No space left on device")
    assert not out.exists()


def test_a_network_larger_than_memory_is_one_line(tmp_path, monkeypatch, capsys):
    """hidden=100000 printed torch's traceback (40 GB could not be allocated)."""

    def refuse(*args, **kwargs):  # as torch's CPU allocator refuses, whatever the machine has
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate "
            "memory: you tried to allocate 40000000000 bytes. Error code 12"
        )

    monkeypatch.setattr(dmm.cli.train, "build", refuse)
    out = tmp_path / "run"
    assert main(_train(out, "--set", "hidden=100000")) == 2
    _one_line(capsys, "out of memory (an allocation of 40.0 GB)", "--set hidden")
    assert not out.exists()


def test_force_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    """--out . --force replaced a project's own data.npy and config.yaml."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.yaml").write_text("my notes\n")
    (project / "data.npy").write_bytes(b"mine")
    assert main(_train(project, "--force")) == 2
    _one_line(capsys, "is not a run folder but holds config.yaml, data.npy")
    assert (project / "config.yaml").read_text() == "my notes\n"
    assert (project / "data.npy").read_bytes() == b"mine"
    # from the review: a --config file has a run's keys too, and it is not a run
    own = "# my experiment\nprocess: vp\ndata: moons\ntrain: {steps: 5, batch_size: 32}\n"
    (project / "config.yaml").write_text(own)
    argv = ["train", "--config", str(project / "config.yaml"), "--out", str(project), "--force"]
    assert main([*argv, "--quiet"]) == 2
    _one_line(capsys, "is not a run folder")
    assert (project / "config.yaml").read_text() == own


def test_force_clears_a_run_killed_before_its_config(tmp_path, capsys):
    """A start killed between data.npy and config.yaml leaves data.npy and its lock."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "data.npy").write_bytes(b"half")
    (out / ".dmm.lock").write_text("999999999 - -")
    assert main(_train(out, "--force", "--quiet")) == 0


def test_resume_takes_a_folder_named_two_ways(run, monkeypatch, capsys):
    monkeypatch.chdir(run.parent)
    argv = ["train", "--resume", "run", "--out", str(run), "--steps", "22", "--quiet"]
    assert main(argv) == 0


def test_a_resumed_run_removes_what_eval_and_plot_wrote_from_its_earlier_step(run, capsys):
    from dmm.training import load_checkpoint

    # the module's run may have been resumed by another test on this worker: from its step on
    done = load_checkpoint(run / "checkpoint.pt")["step"]
    (run / "backward.gif").unlink(missing_ok=True)  # the shared run's plot test may have drawn it
    (run / "eval.json").write_text("{}")
    (run / "samples.png").write_bytes(b"png")
    assert main(["train", "--resume", str(run), "--quiet"]) == 0  # nothing to train: kept
    assert (run / "eval.json").exists()
    assert main(["train", "--resume", str(run), "--steps", str(done + 2), "--quiet"]) == 0
    assert f"removed samples.png, eval.json (they described step {done})" in capsys.readouterr().out
    assert not (run / "eval.json").exists() and not (run / "samples.png").exists()


def test_an_unfinished_run_says_so_and_one_without_a_checkpoint_says_how_to_train_it(
    run, tmp_path, capsys
):
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("steps: 20", "steps: 50"))
    out = tmp_path / "x.npy"
    assert main(["sample", str(run), "-n", "4", "--steps", "2", "-o", str(out)]) == 0
    note = f"note: '{run}' stopped at step 20 of 50; dmm train --resume {run} continues it"
    assert note in capsys.readouterr().err
    # a run still training (its lock held by a live process) is not called stopped: following
    # the --resume advice gave "in use by PID"
    from dmm.cli.train import LOCK, _namespace, _started

    owner = os.getppid()
    (run / LOCK).write_text(f"{owner} {_started(owner)} {_namespace() or '-'}")
    assert main(["sample", str(run), "-n", "4", "--steps", "2", "-o", str(out), "--force"]) == 0
    err = capsys.readouterr().err
    assert f"is being trained (by PID {owner})" in err and "stopped" not in err, err
    (run / LOCK).unlink()
    (run / "checkpoint.pt").unlink()
    assert main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "y.npy")]) == 2
    _one_line(capsys, "has no checkpoint yet", f"dmm train --resume {run}")


def test_a_corrupt_checkpoint_is_named_in_words(run, tmp_path, capsys):
    (run / "checkpoint.pt").write_bytes(b"")
    assert main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "x.npy")]) == 2
    _one_line(capsys, "corrupt checkpoint", "is empty (0 bytes)")


def test_small_wording(run, capsys):
    assert main(["train", "--process", "vp", "--data", "moons", "--set", "hidden="]) == 2
    _one_line(capsys, "--set hidden= gives no value")
    assert main(["eval", str(run / "config.yaml")]) == 2
    _one_line(capsys, "is a file, not a run folder")


def test_a_refused_resume_changes_nothing_and_micro_batches_may_change(run, capsys):
    """From the review: a resume refused for an edited setting had already removed eval.json
    and rewritten config.yaml; and torchrun's one micro-batch per process was refused."""
    (run / "eval.json").write_text("{}")
    config = run / "config.yaml"
    original = config.read_text()
    config.write_text(original.replace("lr: 0.002", "lr: 0.02"))
    edited = config.read_text()
    assert main(["train", "--resume", str(run), "--steps", "30", "--quiet"]) == 2
    _one_line(capsys, "lr 0.02 (the checkpoint's 0.002)")
    assert config.read_text() == edited and (run / "eval.json").exists()
    config.write_text(original)
    argv = ["train", "--resume", str(run), "--steps", "22", "--set", "micro_batches=2", "--quiet"]
    assert main(argv) == 0


def test_float64_rows_that_float32_cannot_hold_are_named(tmp_path):
    """1e39 is finite in float64 and infinite in the network's float32: it trained to a NaN
    loss unless it fell among the validation rows."""
    import numpy as np

    from dmm.processes import VP
    from dmm.recipe import recipe
    from dmm.spaces import SupportError
    from dmm.training import TrainConfig, train

    x = np.random.default_rng(0).normal(size=(300, 2))
    x[200, 1] = 1e39
    r = recipe(VP(2), hidden=8, depth=1)
    with pytest.raises(SupportError, match=r"1 row\(s\): 200"):
        train(r.model, r.loss, x, TrainConfig(steps=2, batch_size=16, val_size=64))


def test_a_figure_path_without_a_suffix_takes_the_default_format(tmp_path):
    from dmm.plotting import plot_samples

    x = torch.randn(40, 2)
    plot_samples(x, x, tmp_path / "figure")
    assert (tmp_path / "figure").read_bytes()[:4] == b"\x89PNG"


def test_a_checkpoint_without_a_schedule_span_resumes_with_its_steps_as_the_span(tmp_path):
    from dmm.training import CheckpointError, TrainConfig, continued

    saved = {**dataclasses.asdict(TrainConfig(steps=2000)), "schedule_steps": None}
    del saved["schedule_steps"]  # written before the field existed
    with pytest.raises(CheckpointError, match="schedule_steps 5000"):
        continued(TrainConfig(steps=2000, schedule_steps=5000), saved, tmp_path / "c.pt")
    assert continued(TrainConfig(steps=3000), saved, tmp_path / "c.pt").schedule_steps == 2000


def test_a_built_in_name_with_a_dot_names_its_own_run_folder():
    """student-t-1.5-2d and student-t-1.5-8d both went to runs/levy-ou-student-t-1."""
    from dmm.cli.train import _default_out

    assert str(_default_out("levy-ou", "student-t-1.5-2d")) == "runs/levy-ou-student-t-1.5-2d"
    assert str(_default_out("vp", "data/x.csv")) == "runs/vp-x"


@pytest.mark.parametrize(
    "sets, needle",
    [
        (["sampler_proposals=0"], "proposals must be >= 1"),  # sample crashed on it, later
        (["jumps=stable", "alpha=0.01"], "alpha=0.01: the stable index must be in [0.2, 2)"),
        (["jumps=stable", "alpha=2.5"], "alpha=2.5: the stable index must be in [0.2, 2)"),
        (["jumps=stable", "epsilon=-1"], "epsilon=-1"),
        (["nu=-1"], "need nu > 0"),
        (["theta=0"], "theta"),
    ],
)
def test_levy_ou_parameters_are_checked_when_training_starts(tmp_path, capsys, sets, needle):
    argv = ["train", "--process", "levy-ou", "--data", "student-t-1.5-2d", *TINY]
    argv += [x for s in sets for x in ("--set", s)]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    line = _one_line(capsys, needle)
    assert "{" not in line  # the reason, not the 40 parameters before it
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "process, sets, needle",
    [
        ("uniform", ["S=-1"], "S=-1: a chain needs at least 2 states"),  # torch's traceback
        ("ordinal", ["S=1"], "S=1: a chain needs at least 2 states"),
        ("ordinal", ["kind=gaussian", "bandwidth=0.001"], "too small for any jump"),
        ("ordinal", ["kind=gaussian", "bandwidth=-1"], "bandwidth=-1"),  # accepted before
        ("chain", ["rate_matrix=JUNK"], "is not a .npy array"),  # numpy spoke of pickles
    ],
)
def test_chain_parameters_that_cannot_work_are_one_line(tmp_path, capsys, process, sets, needle):
    import numpy as np

    data = tmp_path / "codes.csv"
    np.savetxt(data, np.array([[0, 1], [1, 5], [2, 9], [0, 3]] * 5), fmt="%d", delimiter=",")
    junk = tmp_path / "R.npy"
    junk.write_text("junk\n")
    argv = ["train", "--process", process, "--data", str(data), *TINY]
    argv += [x for s in sets for x in ("--set", s.replace("JUNK", str(junk)))]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    _one_line(capsys, needle)
    assert not (tmp_path / "run").exists()
