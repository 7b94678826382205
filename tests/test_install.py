"""A plain ``pip install denoising-markov-models`` (no extras) gives a working ``dmm``.

The package is installed, without extras, into a fresh virtual environment (torch pinned as the
Makefile pins it), and the environment's own ``dmm`` runs ``--help``, a tiny ``train`` and a
``sample`` from a folder outside the repository. The optional extras (``plot``, ``metrics``,
``cli``) must be absent there, so an unconditional import of one of them fails this test.
"""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

TINY = runpy.run_path(str(Path(__file__).parent / "cli" / "cli_tiny.py"))["TINY"]
ROOT = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"  # the Makefile's pin: a CPU build from the local wheel cache
EXTRAS_MODULES = ("matplotlib", "PIL", "tqdm", "scipy", "sklearn")

pytestmark = pytest.mark.slow  # ~40 s on an idle 2-core machine, over a minute under load


def _source_copy(dest: Path) -> Path:
    """The files a source install reads. pip builds a local directory in place (setuptools writes
    ``build/`` and ``*.egg-info`` next to the sources, and would package any stale module left in
    ``build/lib``), so the build runs on a clean copy instead of the working tree."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(
        ROOT / "src",
        dest / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    return dest


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (cmd, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def test_a_plain_install_trains_and_samples(tmp_path):
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["OMP_NUM_THREADS"] = "1"
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    pip, python, dmm = (venv / "bin" / name for name in ("pip", "python", "dmm"))
    # one resolver run for torch and the package; --no-compile only skips writing .pyc files
    package = _source_copy(tmp_path / "package")
    _run([str(pip), "install", "--quiet", "--no-compile", TORCH, str(package)], tmp_path, env)

    present = _run(
        [str(python), "-c", "import importlib.util as u, sys; "
         f"print(' '.join(m for m in {EXTRAS_MODULES!r} if u.find_spec(m)))"],
        tmp_path,
        env,
    ).stdout.split()  # fmt: skip
    assert present == [], f"extras leaked into the plain install: {present}"
    where = _run([str(python), "-c", "import dmm; print(dmm.__file__)"], tmp_path, env).stdout
    assert Path(where.strip()).is_relative_to(venv), where  # the installed copy, not src/

    work = tmp_path / "work"
    work.mkdir()
    helped = _run([str(dmm), "--help"], work, env)
    for command in ("train", "sample", "eval", "plot", "processes", "demo"):
        assert command in helped.stdout

    trained = _run(
        [str(dmm), "train", "--process", "vp", "--data", "moons", "--out", "run", *TINY], work, env
    )
    run = work / "run"
    for name in ("config.yaml", "data.npy", "checkpoint.pt", "log.jsonl"):
        assert (run / name).is_file(), name
    assert "done: step 20" in trained.stdout
    # no matplotlib: loss.png is skipped with one note that names the extra, and not claimed
    assert not (run / "loss.png").exists()
    assert "loss.png" not in trained.stdout
    notes = trained.stderr.strip().splitlines()
    assert len(notes) == 1 and "denoising-markov-models[plot]" in notes[0], trained.stderr
    assert "Traceback" not in trained.stderr

    sampled = _run([str(dmm), "sample", "run", "-n", "10", "-o", "s.npy"], work, env)
    assert "wrote 10 samples" in sampled.stdout
    x = np.load(work / "s.npy")
    assert x.shape == (10, 2) and np.isfinite(x).all()
    # they draw: one line, status 2, naming every extra (the demo's panels need more than plot)
    for command, extras in (
        (["plot", "run"], "draws figures and needs matplotlib: pip install '{}[plot]'"),
        (
            ["demo", "--out", "demo"],
            "needs the plot, metrics, tabular extras: pip install '{}[plot,metrics,tabular]'",
        ),
    ):
        drawn = subprocess.run(
            [str(dmm), *command], cwd=work, env=env, capture_output=True, text=True, timeout=600
        )
        assert drawn.returncode == 2, drawn.stderr
        assert drawn.stderr.strip().splitlines() == [
            f"dmm: error: dmm {command[0]} {extras.format('denoising-markov-models')}"
        ]
    assert not (work / "demo").exists()
    print(f"plain install, train and sample took {time.perf_counter() - start:.1f} s")
