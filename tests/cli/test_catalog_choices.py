"""Declared choices of the catalogue's string parameters: every string parameter has them (or is
free-form), the code accepts exactly them, ``with_params`` refuses anything else in one line, and a
user rate matrix that is not one is a one-line error naming the file."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from dmm.cli.catalog import PROCESSES, build, register_process
from dmm.cli.errors import UsageError
from dmm.cli.main import main
from dmm.data import load_data
from dmm.processes.rate_matrices import ordinal_rate_matrix

#: string parameters that take any string (a path), by process
FREE_FORM = {("chain", "rate_matrix")}
#: a small data set in each process's space
DATA = {
    "vp": "moons",
    "subvp": "moons",
    "ve": "moons",
    "ou": "moons",
    "gbm": "orthant-gmm-2d",
    "geometric-ou": "orthant-gmm-2d",
    "torus-brownian": "torus-checkerboard",
    "so3-brownian": "so3-mixture-16",
    "torus-jump": "torus-checkerboard",
    "levy-ou": "student-t-3-2d",
    "uniform": "tiny-chain",
    "absorbing": "tiny-chain",
    "ordinal": "tiny-chain",
    "chain": "tiny-chain",
}
#: the other parameters under which the code reads a parameter (and checks it)
READS = {
    ("levy-ou", "truncation"): {"jumps": "stable"},
    ("levy-ou", "divergence"): {"loss": "implicit"},
}
#: choices that say "choose for me": the run records what was chosen
CHOSEN_FOR_ME = {("network", "auto"), ("divergence", "auto")}
STRING_PARAMS = sorted(
    (name, key)
    for name, spec in PROCESSES.items()
    for key, default in spec.params.items()
    if isinstance(default, str)
)
CHOICES = sorted((name, key) for name, spec in PROCESSES.items() for key in spec.choices)


@pytest.fixture(scope="module")
def rate_matrix_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("chain") / "R.npy"
    np.save(path, ordinal_rate_matrix(4).numpy())  # tiny-chain takes values 0..3
    return str(path)


def _data(name: str) -> torch.Tensor:
    return load_data(DATA[name], 32, torch.Generator().manual_seed(0))


def _config(name: str, key: str, value: str, rate_matrix: str) -> dict:
    """A small configuration of ``name`` that reads ``key`` (set to ``value``)."""
    spec = PROCESSES[name]
    small = {k: v for k, v in {"hidden": 8, "depth": 1}.items() if k in spec.params}
    if "rate_matrix" in spec.params:
        small["rate_matrix"] = rate_matrix
    return {**small, **READS.get((name, key), {}), key: value}


def _raw_build(name: str, data: torch.Tensor, values: dict) -> float:
    """What the code does with ``values`` without :meth:`with_params`'s checks: make the process,
    its model and loss, and evaluate the loss once."""
    spec = PROCESSES[name]
    params = {**spec.params, **values}
    process = spec.make(data, params)
    valid = process.space.validate(data)
    parts = spec.parts(process, valid, params, 0)
    return float(parts.loss(parts.model, valid[:16], torch.Generator().manual_seed(1)).detach())


def test_every_string_parameter_has_choices_or_is_free_form():
    undeclared = [
        p for p in STRING_PARAMS if p not in FREE_FORM and p[1] not in PROCESSES[p[0]].choices
    ]
    assert undeclared == []
    for name, key in FREE_FORM:  # no stale entries
        assert isinstance(PROCESSES[name].params[key], str) and key not in PROCESSES[name].choices
    assert sorted(DATA) == sorted(PROCESSES)


@pytest.mark.parametrize("name, key", CHOICES, ids=[f"{n}-{k}" for n, k in CHOICES])
def test_every_choice_builds_and_its_loss_evaluates(name, key, rate_matrix_file):
    data = _data(name)
    for value in PROCESSES[name].choices[key]:
        built = build(name, data, _config(name, key, value, rate_matrix_file), seed=0)
        if (key, value) in CHOSEN_FOR_ME:  # recorded as the value chosen, one of the others
            assert built.params[key] in PROCESSES[name].choices[key] and built.params[key] != value
        else:
            assert built.params[key] == value
        loss = built.loss(built.model, built.data[:16], torch.Generator().manual_seed(1))
        assert torch.isfinite(loss), (name, key, value)


@pytest.mark.parametrize("name, key", CHOICES, ids=[f"{n}-{k}" for n, k in CHOICES])
def test_the_code_accepts_exactly_the_choices(name, key, rate_matrix_file):
    # candidates: the values any process declares for a parameter of this name, and a typo
    candidates = {v for spec in PROCESSES.values() for v in spec.choices.get(key, ())}
    candidates.add("no-such-choice")
    data = _data(name)
    accepted = set()
    for value in sorted(candidates):
        try:
            _raw_build(name, data, _config(name, key, value, rate_matrix_file))
        except (ValueError, TypeError, KeyError):
            continue
        accepted.add(value)
    assert accepted == set(PROCESSES[name].choices[key])


@pytest.mark.parametrize("name, key", CHOICES, ids=[f"{n}-{k}" for n, k in CHOICES])
def test_a_value_outside_the_choices_is_one_line_whether_read_or_not(name, key):
    spec = PROCESSES[name]
    listed = ", ".join(spec.choices[key])
    for value, shown in [("no-such-choice", "'no-such-choice'"), ([1], "[1]"), (2, "2")]:
        with pytest.raises(UsageError) as err:
            spec.with_params({key: value})
        assert str(err.value) == (
            f"parameter '{key}' of process '{name}' must be one of: {listed}; got {shown}"
        )


def test_a_parameter_the_configuration_does_not_read_is_checked_too():
    with pytest.raises(UsageError) as err:
        PROCESSES["levy-ou"].with_params({"truncation": "no-such-choice"})  # jumps=student-t
    assert str(err.value) == (
        "parameter 'truncation' of process 'levy-ou' must be one of: radius, variance; "
        "got 'no-such-choice'"
    )
    assert PROCESSES["levy-ou"].with_params({"truncation": "radius"})["truncation"] == "radius"


@pytest.mark.parametrize("value", [[1], None, 3, True])
def test_a_free_form_string_parameter_takes_only_a_string(value):
    with pytest.raises(UsageError, match=r"^parameter 'rate_matrix' must be a string, got "):
        PROCESSES["chain"].with_params({"rate_matrix": value})


def test_registration_checks_the_choices():
    base = dataclasses.replace(PROCESSES["vp"], name="test-choices")
    bad = [
        ({"nonsense": ("a",)}, r"choices for unknown parameter\(s\) \['nonsense'\]"),
        ({"schedule": ("linear",)}, r"default 'cosine' of parameter 'schedule'.*not among"),
        ({"schedule": ["linear", "cosine"]}, "must be a tuple of strings"),
        ({"hidden": ("256",)}, "default 256 of parameter 'hidden'"),
    ]
    try:
        for choices, message in bad:
            with pytest.raises(ValueError, match=message):
                register_process(dataclasses.replace(base, choices=choices))
        assert "test-choices" not in PROCESSES
    finally:
        PROCESSES.pop("test-choices", None)


def test_processes_name_shows_the_choices(capsys):
    assert main(["processes", "levy-ou"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith("  truncation=variance "))
    assert row.split(None, 1)[1].startswith("(radius | variance): variance (scale-mixture")
    nu = next(line for line in lines if line.startswith("  nu=0.0 "))
    assert not nu.split(None, 1)[1].startswith("(")
    assert main(["processes", "levy-ou", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)["process"]
    assert record["truncation"]["choices"] == ["radius", "variance"]
    assert "choices" not in record["nu"]
    assert main(["processes", "--json"]) == 0
    listing = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listing["chain"]["choices"] == {
        k: list(v) for k, v in PROCESSES["chain"].choices.items()
    }
    assert "rate_matrix" not in listing["chain"]["choices"]


# --- rate_matrix=PATH.npy --------------------------------------------------------------------------


def _write(path, content) -> str:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, dict):
        np.savez(path, **content)
    else:
        np.save(path, content, allow_pickle=True)
    return str(path)


R_OK = ordinal_rate_matrix(4).numpy()
NEGATIVE = R_OK.copy()
NEGATIVE[1, 3] = -0.5
NAN = R_OK.copy()
NAN[2, 0] = np.nan


@pytest.mark.parametrize(
    "file, content, needle",
    [
        ("none.npy", None, "no such file"),
        ("folder.npy", "folder", "is a folder"),
        ("garbage.npy", b"this is not a numpy file", "is not a .npy array of numbers"),
        ("objects.npy", np.array([{"a": 1}], dtype=object), "is not a .npy array of numbers"),
        ("pair.npz", {"a": R_OK, "b": R_OK}, "needs a .npy file"),
        ("table.csv", R_OK, "needs a .npy file (numpy.save"),  # was numpy's text on pickles
        ("words.npy", np.array([["a", "b"], ["c", "d"]]), "holds <U1 values, not real numbers"),
        ("flat.npy", np.ones(4), "must be square S×S with S >= 2, got shape (4,)"),
        ("wide.npy", np.ones((2, 3)), "must be square S×S with S >= 2, got shape (2, 3)"),
        ("one.npy", np.ones((1, 1)), "got shape (1, 1)"),
        ("negative.npy", NEGATIVE, "negative off-diagonal rates in rows [1]"),
        ("nan.npy", NAN, "NaN or infinite entries"),
    ],
)
def test_a_bad_rate_matrix_is_one_line_naming_the_file(tmp_path, file, content, needle):
    path = tmp_path / file
    if isinstance(content, str):
        path.mkdir()
    elif content is not None:
        _write(path, content)
    with pytest.raises(UsageError) as err:
        build("chain", _data("chain"), {"rate_matrix": str(path)})
    message = str(err.value)
    assert message.startswith(f"rate_matrix '{path}': ") and needle in message, message
    assert "\n" not in message


def test_a_good_rate_matrix_file_builds_its_chain(rate_matrix_file):
    process = build("chain", _data("chain"), {"rate_matrix": rate_matrix_file}).process
    torch.testing.assert_close(process.chain.rate_matrix, torch.from_numpy(R_OK).double())


def test_codes_beyond_the_rate_matrix_point_at_its_size(rate_matrix_file):
    """The hint said to set S, which the chain with a user rate matrix does not read."""
    from dmm.spaces import SupportError

    data = torch.tensor([[0, 1], [2, 5]])
    with pytest.raises(SupportError, match="rate matrix's size S sets the codes") as err:
        build("chain", data, {"rate_matrix": rate_matrix_file})
    assert "S=0 (the default)" not in str(err.value)
