"""Your own process on the command line: ``--process FILE.py:NAME`` and ``package.module:NAME``.

The two files of ``examples/processes`` (the contract docs/cli.md prints) train, sample and
evaluate from the CLI as written; the run folder keeps a copy of the file and loads it back (from
the copy, with a warning, once the original has changed); every mistake is one line, status 2.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from cli_tiny import TINY

from dmm.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "processes"
JUMP_DIFFUSION = f"{EXAMPLES / 'jump_diffusion.py'}:make"
MIXED = f"{EXAMPLES / 'mixed.py'}:make"


def _train(process: str, data: str, out: Path, *extra: str) -> list[str]:
    return ["train", "--process", process, "--data", data, "--out", str(out), *TINY, *extra]


def _fails(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dmm: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture(scope="module")
def jump_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("user") / "jd"
    assert main(_train(JUMP_DIFFUSION, "moons", out)) == 0
    return out


def test_jump_diffusion_file_trains_samples_and_evaluates(jump_run, tmp_path, capsys):
    config = yaml.safe_load((jump_run / "config.yaml").read_text())
    assert config["process"] == JUMP_DIFFUSION  # the absolute FILE.py:NAME
    assert (jump_run / "process.py").read_bytes() == (EXAMPLES / "jump_diffusion.py").read_bytes()
    assert len(config["process_sha256"]) == 64
    assert config["params"] == {"hidden": 16, "depth": 1, "t_min": None}
    assert config["sample"] == {"sampler": "default", "sample_steps": 10, "denoise": False}
    capsys.readouterr()
    out = tmp_path / "s.npy"
    assert main(["sample", str(jump_run), "-n", "64", "-o", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err  # the original is unchanged
    x = np.load(out)
    assert x.shape == (64, 2) and np.isfinite(x).all()
    assert main(["eval", str(jump_run), "--data", "moons", "-n", "64"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["process"] == JUMP_DIFFUSION and report["sampler"] == "default"
    assert report["two_sample"]["energy_ratio"] > 0


def test_resume_and_retrain_from_the_written_config(jump_run, tmp_path):
    run = tmp_path / "jd"
    shutil.copytree(jump_run, run)
    assert main(["train", "--resume", str(run), "--steps", "22", "--quiet"]) == 0
    assert yaml.safe_load((run / "config.yaml").read_text())["train"]["steps"] == 22
    again = tmp_path / "again"
    config = str(run / "config.yaml")
    assert main(["train", "--config", config, "--out", str(again), "--steps", "2"]) == 0
    assert (again / "process.py").is_file()


def test_mixed_file_trains_samples_and_evaluates(tmp_path, capsys):
    rng = np.random.default_rng(0)
    category = rng.integers(0, 5, 256)
    real = rng.normal(size=(256, 2)) + category[:, None]
    rows = np.column_stack([real, category])
    np.save(tmp_path / "mixed.npy", rows.astype(np.float32))
    np.savetxt(tmp_path / "mixed.csv", rows, delimiter=",", header="x,y,c", comments="")
    for data in ("mixed.npy", "mixed.csv"):
        run = tmp_path / f"run-{data}"
        assert main(_train(MIXED, str(tmp_path / data), run)) == 0
        out = tmp_path / f"s-{data}.npy"
        assert main(["sample", str(run), "-n", "32", "-o", str(out)]) == 0
        x = np.load(out)
        assert x.shape == (32, 3) and np.isfinite(x).all()
        assert set(np.unique(x[:, 2])) <= {0, 1, 2, 3, 4}
    # the chain factor's column is written as integers (it came back as 3.0), the rest as floats
    out = tmp_path / "s.csv"
    assert main(["sample", str(run), "-n", "32", "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "x,y,c" and all(row.split(",")[2] in "01234" for row in lines[1:])
    assert all("." in row.split(",")[0] for row in lines[1:])
    capsys.readouterr()
    assert main(["eval", str(run), "--data", str(tmp_path / "mixed.csv"), "-n", "32"]) == 0
    assert json.loads(capsys.readouterr().out)["sampler"] == "default"
    assert main(["plot", str(run), "-n", "16", "--steps", "4", "--frames", "2"]) == 0
    assert (run / "samples.png").is_file() and (run / "backward.gif").is_file()


def test_a_changed_or_missing_file_is_loaded_from_the_copy(tmp_path, capsys):
    mine = tmp_path / "mine.py"
    shutil.copy(EXAMPLES / "jump_diffusion.py", mine)
    run = tmp_path / "run"
    assert main(_train(f"{mine}:make", "moons", run)) == 0
    capsys.readouterr()
    mine.write_text("raise RuntimeError('edited after training')\n")
    out = tmp_path / "s.npy"
    assert main(["sample", str(run), "-n", "8", "-o", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has changed since training" in err[0] and "process.py" in err[0]
    mine.unlink()
    assert main(["sample", str(run), "-n", "8", "-o", str(out), "--force"]) == 0
    assert "is missing since training" in capsys.readouterr().err


def test_the_copy_of_an_edited_file_imports_the_modules_next_to_the_original(tmp_path, capsys):
    """A process file that imports a module beside it (``examples/extending.py``'s pattern):
    once the original was edited, its copy was imported from the run folder, where the module
    is not, and the run could no longer be sampled."""
    (tmp_path / "helper_block.py").write_text(
        "from dmm.processes import Diffusion, Process\n"
        "from dmm.spaces import Euclidean\n"
        "def ou():\n"
        "    return Process(Euclidean(2), blocks=(Diffusion(lambda x, t: -x, lambda x, t: 1.0),))\n"
    )
    mine = tmp_path / "uses_helper.py"
    mine.write_text("from helper_block import ou\nOU = ou()\n")
    run = tmp_path / "run"
    assert main(_train(f"{mine}:OU", "moons", run, "--set", "t_min=0.01")) == 0
    mine.write_text(mine.read_text() + "# edited\n")
    sys.modules.pop("helper_block", None)  # as a new `dmm sample` process would start
    capsys.readouterr()
    assert main(["sample", str(run), "-n", "8", "-o", str(tmp_path / "s.npy")]) == 0
    assert "has changed since training" in capsys.readouterr().err


def test_package_module_name(tmp_path, monkeypatch, capsys):
    pkg = tmp_path / "userprocs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "ou.py").write_text(
        "from dmm.processes import Process, Diffusion\n"
        "from dmm.spaces import Euclidean\n"
        "OU = Process(Euclidean(2), blocks=(Diffusion(lambda x, t: -x, lambda x, t: 1.0),))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    run = tmp_path / "run"
    assert main(_train("userprocs.ou:OU", "moons", run, "--set", "t_min=0.01")) == 0
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["process"] == "userprocs.ou:OU" and config["params"]["t_min"] == 0.01
    assert main(["sample", str(run), "-n", "8", "-o", str(tmp_path / "s.npy")]) == 0
    assert "warning" not in capsys.readouterr().err
    # off sys.path (another shell without PYTHONPATH) the module still exists: not "missing"
    sys.path.remove(str(tmp_path))
    for name in ("userprocs.ou", "userprocs"):
        sys.modules.pop(name, None)
    assert main(["sample", str(run), "-n", "8", "-o", str(tmp_path / "t.npy")]) == 0
    err = capsys.readouterr().err
    assert "module userprocs.ou is not importable here; using the copy" in err, err
    assert "missing" not in err


_PROC = (
    "from dmm.processes import Process, Diffusion\n"
    "from dmm.spaces import Euclidean\n"
    "def raise_it(x):\n"
    "    raise RuntimeError('oops')\n"
    "def make(data):\n"
    "    return Process(Euclidean(2), blocks=(\n"
    "        Diffusion(drift=lambda x, t: {drift}, diffusion=lambda x, t: 1.0),), T=5.0)\n"
)


@pytest.mark.parametrize(
    "text, name, needles",
    [
        (None, "make", ["process file not found", "nowhere.py"]),
        ("def make(data):\n    pass\n", "nope", ["has no 'nope'", "make"]),
        ("X = 3\n", "X", ["is a int", "dmm.processes.Process or a factory"]),
        ("def make(data):\n    raise ValueError('boom')\n", "make", ["raised ValueError: boom"]),
        ("def make(data):\n    return [1]\n", "make", ["returned [1] (a list)"]),
        ("import no_such_module_xyz\n", "make", ["could not import", "no_such_module_xyz"]),
        ("def make(data:\n", "make", ["could not import", "SyntaxError"]),
        # the user's code failing while the recipe simulates the process (a traceback, exit 1)
        (
            _PROC.format(drift="raise_it(x)"),
            "make",
            ["setting up", "failed at nowhere.py:4: RuntimeError: oops"],
        ),
        (_PROC.format(drift="x**3"), "make", ["blew up", "not finite"]),
        ("from dmm.processes import VP\n", "VP", ["is the class VP", "factory"]),
    ],
)
def test_bad_user_processes_are_one_line_errors(tmp_path, capsys, text, name, needles):
    path = tmp_path / "nowhere.py"
    if text is not None:
        path.write_text(text)
    _fails(capsys, _train(f"{path}:{name}", "moons", tmp_path / "run"), *needles)
    assert not (tmp_path / "run").exists()


def test_bad_forms_and_parameters(tmp_path, capsys):
    out = tmp_path / "run"
    _fails(capsys, _train("no_such_pkg_xyz.mod:make", "moons", out), "could not import module")
    _fails(capsys, _train("a b:make", "moons", out), "neither a .py file nor a module")
    (tmp_path / "notes.txt").write_text("make = 1\n")
    _fails(capsys, _train(f"{tmp_path / 'notes.txt'}:make", "moons", out), "not a Python (.py)")
    _fails(capsys, _train(f"{JUMP_DIFFUSION[:-5]}:", "moons", out), "expected FILE.py:NAME")
    _fails(capsys, _train(JUMP_DIFFUSION, "moons", out, "--set", "beta_max=3"), "'beta_max'")
    _fails(capsys, _train(JUMP_DIFFUSION, "moons", out, "--set", "t_min=5"), "t_min")
    _fails(capsys, _train(JUMP_DIFFUSION, "moons", out, "--set", "sampler=em"), "'em'", "default")
    assert not out.exists()


def test_a_users_product_is_called_by_its_source():
    """Messages about a user's product said "Product" where a single process says its source."""
    import torch

    from dmm.cli.catalog.user import USER_PARAMS, load_user_process

    entry = load_user_process(MIXED)
    data = torch.cat([torch.randn(50, 2), torch.randint(0, 5, (50, 1)).float()], dim=1)
    assert entry.make(data, USER_PARAMS).name == "mixed.py:make"


def test_an_error_outside_the_users_file_keeps_its_traceback(tmp_path, monkeypatch):
    """Every exception while the recipe was set up became a one-line usage error, dmm's own bugs
    too: only one raised in the user's file is the user's."""
    import dmm.cli.catalog.user as user

    def broken(*args, **kwargs):
        raise AttributeError("a bug in dmm")

    monkeypatch.setattr(user, "recipe_parts", broken)
    with pytest.raises(AttributeError, match="a bug in dmm"):
        main(_train(JUMP_DIFFUSION, "moons", tmp_path / "run"))


def test_a_users_chain_gets_the_nll_bound_in_eval(tmp_path, capsys):
    # the catalogue's chains report their NLL bound; a user's chain (here the uniform chain,
    # built in the user's file) must too, and a user's diffusion reports no family numbers
    (tmp_path / "chain.py").write_text(
        "from dmm.processes.chains import UniformChain\n\n"
        "def make(data):\n    return UniformChain(data.shape[1], 4)\n"
    )
    codes = np.random.default_rng(0).integers(0, 4, (200, 3))
    np.save(tmp_path / "codes.npy", codes)
    run = tmp_path / "run"
    assert main(_train(f"{tmp_path / 'chain.py'}:make", str(tmp_path / "codes.npy"), run)) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--data", str(tmp_path / "codes.npy"), "-n", "32"]) == 0
    family = json.loads(capsys.readouterr().out)["family"]
    # uniform codes on {0..3}: 2 bits per dimension at best; a bound is above it
    assert family["nll_bound_bits_per_dim"] >= 2.0 - 3 * family["nll_bound_stderr"]
    assert np.isfinite(family["nll_bound_bits_per_dim"])
