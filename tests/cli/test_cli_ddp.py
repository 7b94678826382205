"""``torchrun --nproc_per_node 2 -m dmm.cli.main train``: data parallel on CPU (gloo)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from cli_tiny import TINY

from dmm.cli.main import main


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="torchrun with gloo is tested on POSIX")
def test_two_processes_match_one_process_with_two_micro_batches(tmp_path):
    # two ranks with half the batch each == one process accumulating the same two micro-batches
    # (each micro-batch has its own seed, so the sums agree up to float rounding; measured 0.0)
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or "torchrun"
    args = ["train", "--process", "vp", "--data", "moons", *TINY]
    proc = subprocess.run(
        [
            torchrun,
            "--nproc_per_node",
            "2",
            "-m",
            "dmm.cli.main",
            *args,
            "--out",
            str(tmp_path / "ddp"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert main([*args, "--out", str(tmp_path / "one"), "--set", "micro_batches=2"]) == 0
    a = torch.load(tmp_path / "ddp" / "checkpoint.pt", weights_only=True)
    b = torch.load(tmp_path / "one" / "checkpoint.pt", weights_only=True)
    for key in ("model", "ema"):
        for name, value in a[key].items():
            torch.testing.assert_close(value, b[key][name], rtol=1e-5, atol=1e-6)
    assert "world_size: 2" in (tmp_path / "ddp" / "config.yaml").read_text()
