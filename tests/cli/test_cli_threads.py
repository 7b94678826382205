"""``--threads N`` on the commands that run networks: torch's CPU threads for that command."""

from __future__ import annotations

import pytest
import torch

from dmm.cli.main import COMPUTING, build_parser, main

#: the arguments each command needs besides --threads
REQUIRED = {"sample": ["run", "-n", "1", "-o", "x.npy"], "eval": ["run"], "plot": ["run"]}


def test_every_computing_command_takes_threads():
    parser = build_parser()
    for command in COMPUTING:
        args = parser.parse_args([command, "--threads", "3", *REQUIRED.get(command, [])])
        assert args.threads == 3
    assert (
        parser.parse_args(["sample", "run", "-n", "1", "-o", "x.npy"]).threads == 0
    )  # torch's own choice


def test_threads_are_set_for_the_command_only(tiny_run, tmp_path, monkeypatch):
    """``--threads 2``: the command runs with two threads, and the caller's count (one, set by
    the fixture) comes back after it."""
    seen = []
    real = torch.set_num_threads

    def record(n):
        seen.append(n)
        real(n)

    monkeypatch.setattr(torch, "set_num_threads", record)
    out = tmp_path / "x.npy"
    assert main(["sample", str(tiny_run), "-n", "8", "-o", str(out), "--threads", "2"]) == 0
    assert seen == [2, 1] and torch.get_num_threads() == 1
    assert out.exists()


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "two"])
def test_a_bad_count_is_one_line_and_exit_2(value, capsys):
    assert main(["eval", "run", "--threads", value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--threads takes a positive whole number" in err[0]
