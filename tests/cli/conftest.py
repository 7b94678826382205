"""Shared fixtures of the CLI tests: one tiny trained run reused by the read-only commands."""

from __future__ import annotations

import pytest
import torch
from cli_tiny import TINY

from dmm.cli.main import main


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A trained VP run folder on ``moons`` (do not modify it in tests)."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("runs") / "vp-moons"
    assert main(["train", "--process", "vp", "--data", "moons", "--out", str(out), *TINY]) == 0
    return out
