"""Discovering what the command line offers: ``dmm data``, ``dmm processes NAME``, the hints of
data rejected by a process, and the chain backbone ``network=auto`` picks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dmm.cli.catalog import PROCESSES, build
from dmm.cli.catalog.chains import AUTO_MLP_MAX_STATES
from dmm.cli.main import main
from dmm.data import BUILTIN_DATASETS
from dmm.data.registry import DATASET_INFO
from dmm.training import TrainConfig


def _one_error_line(capsys, argv) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dmm: error: "), captured.err
    assert captured.out == ""
    return lines[0]


# --- dmm data --------------------------------------------------------------------------------------


def test_every_builtin_declares_what_a_real_draw_is():
    assert set(DATASET_INFO) == set(BUILTIN_DATASETS)
    for name, info in DATASET_INFO.items():
        x = BUILTIN_DATASETS[name](512, torch.Generator().manual_seed(3))
        assert tuple(x.shape) == (512, *info.shape), name
        assert x.dtype == info.dtype, name
        info.space.validate(x)  # every row lies in the declared space (SupportError otherwise)
        assert info.description.strip(), name


def test_dmm_data_lists_every_builtin_with_its_shape(capsys):
    assert main(["data", "--json"]) == 0
    records = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(records) == set(BUILTIN_DATASETS)
    for name, r in records.items():
        x = BUILTIN_DATASETS[name](4, torch.Generator().manual_seed(0))
        assert tuple(r["shape"]) == tuple(x.shape[1:]), name
        assert r["dtype"] == str(x.dtype).removeprefix("torch."), name
        assert r["space"] and r["description"], name
    assert records["digits"]["space"] == "{0..16}^64"
    assert records["torus-moons"]["space"] == "T^2"
    assert records["so3-mixture-16"]["shape"] == [3, 3]

    assert main(["data"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in BUILTIN_DATASETS:
        row = next(line for line in lines if line.split()[0] == name)
        assert str(tuple(records[name]["shape"])) in row and records[name]["space"] in row


# --- dmm processes NAME ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_processes_name_explains_every_parameter(capsys, name):
    assert main(["processes", name]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{name}: {PROCESSES[name].summary}")
    spec = PROCESSES[name]
    groups = {
        "process": dict(spec.params),
        "train": {f: None for f in TrainConfig.__dataclass_fields__},
        "sample": {"sampler": spec.default_sampler, "sample_steps": None, "denoise": None},
    }
    lines = text.splitlines()
    for group, keys in groups.items():
        for key in keys:
            row = [line for line in lines if line.startswith(f"  {key}=")]
            assert row, (name, group, key)
            sentence = row[0].split("=", 1)[1].split(None, 1)
            assert len(sentence) == 2 and len(sentence[1]) > 10, (name, key, row[0])
    assert main(["processes", name, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    for group in ("process", "sample", "train"):
        assert all(entry["help"] for entry in record[group].values()), (name, group)
    assert {k: e["default"] for k, e in record["process"].items()} == json.loads(
        json.dumps(dict(spec.params), default=str)
    )


def test_processes_name_says_what_s0_and_network_auto_mean(capsys):
    assert main(["processes", "absorbing"]) == 0
    lines = capsys.readouterr().out.splitlines()
    s_row = next(line for line in lines if line.startswith("  S=0 "))
    net_row = next(line for line in lines if line.startswith("  network=auto "))
    assert "max(data) + 1" in s_row
    assert str(AUTO_MLP_MAX_STATES) in net_row and "transformer" in net_row
    assert any("tweedie (default)" in line for line in lines)
    assert any(line.startswith("  lr=0.002 ") for line in lines)


def test_processes_shows_a_process_specific_training_default(capsys):
    assert main(["processes", "torus-jump", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["train"]["lr"]["default"] == 1e-3


def test_an_unknown_process_name_is_one_line_listing_the_known_ones(capsys):
    line = _one_error_line(capsys, ["processes", "vq"])
    assert "unknown process 'vq'" in line
    for name in PROCESSES:
        assert name in line


def test_the_list_still_works(capsys):
    assert main(["processes"]) == 0
    text = capsys.readouterr().out
    assert all(f"{name}:" in text for name in PROCESSES)


# --- rejected data say what to do ------------------------------------------------------------------


def _save(tmp_path, name, array):
    path = tmp_path / name
    np.save(path, array)
    return str(path)


@pytest.mark.parametrize(
    "process, array, needles",
    [
        ("gbm", np.zeros((32, 2), np.float32), ["outside (0,inf)^2", "shift the data", "use vp"]),
        ("geometric-ou", -np.ones((32, 2), np.float32), ["x - min + c", "use vp"]),
        ("gbm", np.full((32, 2), 1e20, np.float32), ["rescale the data", "use vp"]),
        ("absorbing", np.full((32, 3), 0.5, np.float32), ["non-integer", "round or bin", "vp"]),
        ("uniform", -np.ones((32, 3), np.int64), ["down to -1", "start at 0"]),
        ("torus-brownian", np.full((32, 2), 4.0, np.float32), ["wrap them into", "--set wrap"]),
        ("torus-jump", np.full((32, 2), 4.0, np.float32), ["--set wrap=true"]),
        ("so3-brownian", np.ones((32, 3, 3), np.float32), ["outside SO(3)", "SVD"]),
        # nine numbers a row: read row-major as 3 × 3 (a .csv file's rows), then checked
        ("so3-brownian", np.ones((32, 9), np.float32), ["outside SO(3)", "SVD"]),
        ("so3-brownian", np.ones((32, 4), np.float32), ["expected (n, 3, 3)", "quaternions"]),
        ("vp", np.ones(32, np.float32), ["shape (32,)", "reshape them to (n, 1)"]),
    ],
)
def test_rejected_data_say_what_to_do(capsys, tmp_path, process, array, needles):
    data = _save(tmp_path, "x.npy", array)
    argv = ["train", "--process", process, "--data", data, "--out", str(tmp_path / "run")]
    line = _one_error_line(capsys, argv)
    for needle in needles:
        assert needle in line, (needle, line)
    assert not (tmp_path / "run").exists()


def test_a_chain_with_too_few_states_names_the_s_it_needs(capsys, tmp_path):
    data = _save(tmp_path, "x.npy", np.tile(np.arange(8), (4, 1)).reshape(-1, 2))
    argv = ["train", "--process", "uniform", "--data", data, "--set", "S=5"]
    line = _one_error_line(capsys, [*argv, "--out", str(tmp_path / "run")])
    assert "values up to 7 need S >= 8" in line and "S=0" in line


# --- network=auto ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "S, d, expected", [(4, 2, "MLP"), (17, 64, "MLP"), (AUTO_MLP_MAX_STATES + 1, 4, "Transformer")]
)
def test_network_auto_follows_the_states_per_coordinate(S, d, expected):
    data = torch.zeros(4, d, dtype=torch.long)
    model = build("uniform", data, {"S": S}, seed=0).model
    assert type(model.net).__name__ == expected
