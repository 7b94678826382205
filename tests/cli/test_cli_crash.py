"""``dmm train`` killed with SIGKILL at random moments, then resumed with ``dmm train --resume DIR``
until done, ends exactly where an uninterrupted run ends: the same model and EMA weights (bit for
bit), the same ``log.jsonl`` and ``config.yaml``, the same samples, and no leftover temporary file
or lock.

Every run is a subprocess (``python -m dmm.cli.main``). The first kill lands before the first
checkpoint (the folder then holds ``config.yaml`` and ``data.npy`` only, and ``--resume`` starts it
from step 0); of the others, half land at a random delay after a resumed run started, half while
``checkpoint.pt.tmp`` exists, i.e. inside an atomic checkpoint write (polled for, after letting
zero or one write complete)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_tiny import TINY

from dmm.cli.main import main

STEPS = 300
EVERY = 10  # checkpoints at 10, 20, ..., 300
#: the tiny run with more steps and frequent checkpoints (flags after TINY override it)
ARGS = [*TINY, "--steps", str(STEPS), "--set", f"checkpoint_every={EVERY}", "--set", "warmup=10"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
TIMEOUT = 120
POLL = 2e-4  # seconds between looks for a file: a checkpoint write lasts longer


def _start(*argv: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dmm.cli.main", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _finish(proc: subprocess.Popen) -> None:
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, (proc.args, out, err)


def _resume(out: Path) -> subprocess.Popen:
    proc = _start("train", "--resume", str(out))
    proc.stdout.readline()  # "training ... -> DIR": resumed
    return proc


def _train(out: Path) -> list[str]:
    return ["train", "--process", "vp", "--data", "moons", "--out", str(out), *ARGS]


def _wait_for(path: Path, proc: subprocess.Popen) -> bool:
    """Busy-wait until ``path`` exists (``True``) or ``proc`` has exited (``False``)."""
    deadline = time.monotonic() + TIMEOUT
    while not path.exists():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(POLL)
    return True


def _kill(
    proc: subprocess.Popen,
    out: Path,
    rng: np.random.Generator,
    in_write: bool,
    delay: float,
) -> bool:
    """SIGKILL ``proc`` (a started run) at a random moment: during a checkpoint write after zero
    or one completed ones (``in_write``), or after a delay uniform in ``[0, delay]``. ``False`` if
    the run finished first."""
    if in_write:
        tmp = out / "checkpoint.pt.tmp"
        if rng.integers(0, 2) and _wait_for(tmp, proc):  # let one write complete: progress
            while tmp.exists() and proc.poll() is None:
                time.sleep(POLL)
        _wait_for(tmp, proc)
    else:
        time.sleep(float(rng.uniform(0.0, delay)))
    if proc.poll() is not None:
        _finish(proc)
        return False
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL
    return True


def _checkpoint_interval(out: Path, proc: subprocess.Popen) -> float:
    """Seconds between the first two checkpoints of a starting run (waits for them)."""
    stamps = []
    while len(stamps) < 2:
        assert _wait_for(out / "checkpoint.pt", proc)
        stamp = (out / "checkpoint.pt").stat().st_mtime
        if stamp not in stamps:
            stamps.append(stamp)
    return stamps[1] - stamps[0]


def _step(out: Path) -> int:
    return int(torch.load(out / "checkpoint.pt", weights_only=True)["step"])


@pytest.mark.parametrize(
    "kills",
    [pytest.param(5, id="5-kills"), pytest.param(20, id="20-kills", marks=pytest.mark.slow)],
)
def test_killed_and_resumed_training_equals_an_uninterrupted_run(tmp_path, kills):
    rng = np.random.default_rng(kills)
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    uninterrupted = _start(*_train(reference))
    proc = _start(*_train(crashed))
    proc.stdout.readline()  # "training ... -> DIR": config.yaml and data.npy are written
    proc.send_signal(signal.SIGKILL)  # long before the first checkpoint (10 steps away)
    proc.communicate(timeout=TIMEOUT)
    assert (crashed / "config.yaml").is_file() and not (crashed / "checkpoint.pt").exists()
    done, in_write, stale_tmp = 1, 0, 0
    proc = _resume(crashed)  # a folder without a checkpoint resumes from step 0
    # later kills come within 1.5 checkpoint intervals of a start (the first one after two
    # checkpoints), so that the run (30 intervals) cannot finish before the last kill
    delay = 1.5 * _checkpoint_interval(crashed, proc)
    while done < kills:
        write_kill = done % 2 == 1
        if not _kill(proc, crashed, rng, write_kill, delay):
            break  # finished before the kill
        done += 1
        in_write += write_kill
        stale_tmp += (crashed / "checkpoint.pt.tmp").exists()
        assert (crashed / ".dmm.lock").exists()  # left by the killed process
        proc = _resume(crashed)
    else:
        _finish(proc)  # the last resume runs to the end
    _finish(uninterrupted)
    assert done == kills, f"the run finished after {done} of {kills} kills"
    assert _step(crashed) == STEPS
    assert in_write == kills // 2  # the odd-numbered kills
    assert stale_tmp >= 1  # some kills did land inside a checkpoint write

    a = torch.load(reference / "checkpoint.pt", weights_only=True)
    b = torch.load(crashed / "checkpoint.pt", weights_only=True)
    assert a["step"] == b["step"] == STEPS
    for key in ("model", "ema"):
        assert a[key].keys() == b[key].keys()
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)
    assert a["history"] == b["history"]
    assert (crashed / "log.jsonl").read_bytes() == (reference / "log.jsonl").read_bytes()
    assert (crashed / "config.yaml").read_bytes() == (reference / "config.yaml").read_bytes()
    # the same files: no stale checkpoint.pt.tmp, no lock, no temporary data file
    assert sorted(p.name for p in crashed.iterdir()) == sorted(p.name for p in reference.iterdir())

    torch.set_num_threads(1)
    samples = []
    for run in (reference, crashed):
        assert main(["sample", str(run), "-n", "64", "-o", str(run / "s.npy"), "--quiet"]) == 0
        samples.append(np.load(run / "s.npy"))
    assert np.array_equal(samples[0], samples[1])
