"""Bounds of the manifold families' parameters and data shapes: refused as one line, exit 2."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dmm.cli.catalog import build, check_new_run, get_process
from dmm.cli.errors import UsageError
from dmm.cli.main import main
from dmm.processes.manifold_brownian import quaternion_to_matrix


def _angles(n=64, d=2):
    return (torch.rand(n, d, generator=torch.Generator().manual_seed(0)) * 2 - 1) * torch.pi


def _rotations(n=64):
    q = torch.randn(n, 4, generator=torch.Generator().manual_seed(0))
    return quaternion_to_matrix(q / q.norm(dim=1, keepdim=True))


@pytest.mark.parametrize("name, data", [("torus-brownian", _angles), ("so3-brownian", _rotations)])
def test_new_runs_are_held_to_the_bounds_of_fourier_and_sigma_max(name, data):
    # π 2^k overflows float32 from k = 127 (NaN loss at step 1: exit 1 with "try a smaller lr");
    # beyond 20 frequencies float32 rounding turns the phases at random. sigma_max=1e6 summed
    # ~1.4 sigma_max wrapped-normal images per score (killed for memory); the kernel is uniform
    # to float64 precision from sigma ~ 9
    entry = get_process(name)
    for params, message in (
        ({"fourier": 200}, r"fourier=200: at most 20 for process"),
        ({"sigma_max": 1e6}, r"sigma_max=1e\+06: at most 100 for process"),
    ):
        with pytest.raises(UsageError, match=message) as err:
            check_new_run(entry, params)
        assert "\n" not in str(err.value)
    check_new_run(entry, {"fourier": 20, "sigma_max": 100.0})
    # what exists at all is still built: a run recorded before the bounds loads
    build(name, data(), {"fourier": 24, "sigma_max": 150.0, "hidden": 8, "depth": 1})
    with pytest.raises(UsageError, match="overflows float32"):
        build(name, data(), {"fourier": 200, "hidden": 8, "depth": 1})


def test_a_run_recorded_before_the_bounds_still_samples_and_resumes(tmp_path):
    """The bounds made every run trained with fourier=24 or sigma_max=150 unloadable."""
    import yaml

    run = tmp_path / "run"
    argv = ["train", "--process", "torus-brownian", "--data", "torus-vonmises", "--n-data", "64"]
    assert main([*argv, "--steps", "2", "--out", str(run), "--quiet", "--set", "hidden=8"]) == 0
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["params"]["sigma_max"] = 150.0  # as an earlier version trained it
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "s.npy"
    assert main(["sample", str(run), "-n", "4", "--steps", "3", "-o", str(out), "--quiet"]) == 0
    assert main(["train", "--resume", str(run), "--steps", "3", "--quiet"]) == 0


@pytest.mark.parametrize("name", ["torus-brownian", "so3-brownian"])
def test_cli_refuses_fourier_200_with_exit_status_2(name, tmp_path, capsys):
    data = "torus-vonmises" if name == "torus-brownian" else "so3-mixture-16"
    argv = ["train", "--process", name, "--data", data, "--n-data", "64", "--steps", "2"]
    argv += ["--out", str(tmp_path / "run"), "--quiet", "--set", "hidden=8", "--set", "fourier=200"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "fourier=200" in err and "smaller lr" not in err


def test_torus_shape_error_says_what_shapes_are_accepted_without_inventing_a_dimension(
    tmp_path, capsys
):
    # (n, 3, 2): the torus' dimension is read from the data, so no "needs 1" (the old message)
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((100, 3, 2), dtype=np.float32))
    argv = ["train", "--process", "torus-brownian", "--data", str(path), "--steps", "2"]
    assert main([*argv, "--out", str(tmp_path / "run"), "--quiet", "--set", "hidden=8"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "needs 1" not in err and "T^1" not in err
    assert "(n, d)" in err and "(3, 2)" in err and "(n, 6)" in err


def test_every_family_bounds_fourier(capsys, tmp_path):
    """``vp --set fourier=200`` gave NaN features (π 2^k overflows float32) reported as a
    diverged first step with advice to lower the learning rate."""
    argv = ["train", "--process", "vp", "--data", "moons", "--n-data", "100", "--steps", "2"]
    assert main([*argv, "--set", "fourier=200", "--out", str(tmp_path / "run")]) == 2
    assert "fourier=200: at most 20 for process 'vp'" in capsys.readouterr().err


def test_the_terminal_note_of_a_compact_space_blames_the_schedule(capsys, tmp_path):
    """On a torus the data have no scale to blame: the note said "data on another scale"."""
    argv = ["train", "--process", "torus-brownian", "--data", "torus-vonmises", "--n-data", "64"]
    argv += ["--steps", "2", "--set", "sigma_max=0.05", "--out", str(tmp_path / "run")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "too little noise by T" in out and "another scale" not in out
