"""A data file's held-out rows: never trained on, used for the validation loss and by dmm eval;
config.yaml records the values a run resolved."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from cli_tiny import TINY

import dmm.cli.train
from dmm.cli.main import main
from dmm.cli.rundir import load_run, split_rows


@pytest.mark.parametrize("n, fraction", [(500, 0.1), (21, 0.1), (7, 0.5), (10, 0.0), (19, 0.1)])
def test_split_rows_partitions_the_rows(n, fraction):
    keep, held = split_rows(n, fraction, seed=3)
    assert torch.equal(torch.cat([keep, held]).sort().values, torch.arange(n))
    expected = int(n * fraction) if int(n * fraction) >= 2 else 0
    assert len(held) == expected
    assert torch.equal(keep, keep.sort().values) and torch.equal(held, held.sort().values)
    again, _ = split_rows(n, fraction, seed=3)
    assert torch.equal(keep, again)  # a resumed run splits the same way
    if expected:
        other, _ = split_rows(n, fraction, seed=4)
        assert not torch.equal(keep, other)


def _file(tmp_path, n=400):
    x = np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32)
    x[:, 0] = np.arange(n)  # each row is identified by its first column
    path = tmp_path / "rows.npy"
    np.save(path, x)
    return path, x


def test_a_file_run_never_trains_on_its_heldout_rows(tmp_path, monkeypatch):
    path, x = _file(tmp_path)
    seen = {}
    real = dmm.cli.train.train

    def spy(model, loss, data, config, **kwargs):
        seen["train"], seen["val"] = data.clone(), kwargs["val_data"].clone()
        return real(model, loss, data, config, **kwargs)

    monkeypatch.setattr(dmm.cli.train, "train", spy)
    out = tmp_path / "run"
    raw = ["--set", "standardise=false"]  # the spy sees the rows as given (row number in x_0)
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(out), *TINY, *raw]
    assert main(argv) == 0
    trained, val = seen["train"][:, 0].long(), seen["val"][:, 0].long()
    assert len(trained) == 360 and len(val) == 40
    assert not set(trained.tolist()) & set(val.tolist())
    held = load_run(out).heldout()
    assert torch.equal(held[:, 0].long(), val)  # the rows dmm eval compares against
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["holdout"] == {"fraction": 0.1, "rows": 40, "fit": "training rows"}
    assert config["n_data"] == 400


SEEN = """
import os

import numpy as np

from dmm.processes import OU


def make(data):
    np.save(os.environ["DMM_SEEN"], data.numpy())
    return OU(3)
"""


def test_the_process_is_made_from_the_training_rows_only(tmp_path, monkeypatch):
    """A user's factory, a simulated reference and the standardisation were made from every row
    of the file, held-out rows included: a process that barely noises started the backward
    process from noised held-out rows, and dmm eval against those rows read a C2ST AUC of 0.377
    (below 0.5). They see the training rows only, at training and when a run is rebuilt."""
    path, x = _file(tmp_path)
    (tmp_path / "seen.py").write_text(SEEN)
    seen = tmp_path / "seen.npy"
    monkeypatch.setenv("DMM_SEEN", str(seen))
    out = tmp_path / "run"
    argv = ["train", "--process", f"{tmp_path / 'seen.py'}:make", "--data", str(path)]
    assert main([*argv, "--out", str(out), *TINY]) == 0
    keep, held = split_rows(400, 0.1, 0)
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert np.array_equal(np.load(seen)[:, 0], x[keep.numpy(), 0])  # raw rows: no standardise
    seen.unlink()
    run = load_run(out)
    assert np.array_equal(np.load(seen)[:, 0], x[keep.numpy(), 0])  # the rebuild: the same rows
    assert torch.equal(run.heldout()[:, 0].long(), held)  # every row still read and validated
    # a run recorded before 2026-12-06 (no holdout.fit) was made from every row: rebuilt so
    config["holdout"].pop("fit")
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    load_run(out)
    assert len(np.load(seen)) == 400
    # vp standardises by the training rows' mean and spread
    vp = tmp_path / "vp"
    assert main(["train", "--process", "vp", "--data", str(path), "--out", str(vp), *TINY]) == 0
    mean = yaml.safe_load((vp / "config.yaml").read_text())["scaling"]["mean"]
    assert np.allclose(mean, x[keep.numpy()].mean(0), atol=1e-4)
    assert not np.allclose(mean, x.mean(0), atol=1e-4)
    # a level only a held-out row has is still in a chain's space (S=0 reads the largest value)
    levels = np.random.default_rng(1).integers(0, 3, size=(400, 2))
    levels[held[0].item(), 0] = 5
    np.save(tmp_path / "levels.npy", levels)
    chain = tmp_path / "chain"
    argv = ["train", "--process", "uniform", "--data", str(tmp_path / "levels.npy")]
    assert main([*argv, "--out", str(chain), *TINY]) == 0
    assert load_run(chain).process.S == 6


def test_holdout_zero_trains_on_every_row_and_says_so(tmp_path, capsys):
    path, _ = _file(tmp_path, 50)
    out = tmp_path / "run"
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(out), *TINY]
    assert main([*argv, "--holdout", "0"]) == 0
    assert "note: no held-out rows" in capsys.readouterr().out
    assert len(load_run(out).heldout()) == 0
    assert main(["train", "--resume", str(out), "--holdout", "0.2", "--quiet"]) == 2
    assert "differs from the run's" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["1", "-0.1", "nan"])
def test_a_bad_holdout_is_one_line(tmp_path, capsys, value):
    path, _ = _file(tmp_path, 50)
    out = tmp_path / "run"
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(out), *TINY]
    assert main([*argv, "--holdout", value]) == 2
    assert "--holdout must be in [0, 1)" in capsys.readouterr().err
    assert not out.exists()


def test_config_records_resolved_values(tmp_path):
    codes = np.random.default_rng(0).integers(0, 5, size=(200, 3))
    path = tmp_path / "codes.npy"
    np.save(path, codes)
    out = tmp_path / "run"
    argv = ["train", "--process", "uniform", "--data", str(path), "--out", str(out), *TINY]
    assert main(argv) == 0
    params = yaml.safe_load((out / "config.yaml").read_text())["params"]
    assert params["S"] == 5 and params["network"] == "mlp"  # were S: 0 and network: auto
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "s.npy")]) == 0


def test_eval_compares_with_rows_the_model_never_saw(tmp_path, capsys):
    import json

    path, x = _file(tmp_path)
    out = tmp_path / "run"
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(out), *TINY]
    assert main(argv) == 0
    capsys.readouterr()
    for extra in ([], ["--data", str(path)]):  # the run's own file: its held-out rows
        assert main(["eval", str(out), "-n", "100", "--quiet", *extra]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["reference"] == "the 40 rows of rows.npy held out at training time"
        assert report["n"] == report["two_sample"]["n"] == 20  # the floor halves the 40 rows
        assert report["n_samples"] == 100
        assert 0.0 <= report["two_sample"]["c2st_auc"] <= 1.0
    other = tmp_path / "other.npy"
    np.save(other, x[:30])
    assert main(["eval", str(out), "-n", "100", "--quiet", "--data", str(other)]) == 0
    # the first 30 rows of the training file: 28 of them trained on, and eval says so
    reference = json.loads(capsys.readouterr().out)["reference"]
    assert reference == f"the 30 rows of {other}, 28 of them training rows"


def test_eval_of_a_run_without_heldout_rows_needs_another_file(tmp_path, capsys):
    path, _ = _file(tmp_path, 60)
    out = tmp_path / "run"
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(out), *TINY]
    assert main([*argv, "--holdout", "0"]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "-n", "50", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kept 0 of its rows out of training" in err[0]
    assert not (out / "eval.json").exists()


def test_eval_on_another_file_names_its_bad_rows_as_the_file_has_them(tmp_path, capsys):
    """The rows were shuffled before the support check: rows 0 and 299 were named 108, 265."""
    rng = np.random.default_rng(3)
    np.save(tmp_path / "good.npy", np.exp(rng.normal(size=(200, 2))).astype(np.float32))
    bad = np.exp(rng.normal(size=(300, 2))).astype(np.float32)
    bad[0, 0], bad[299, 1] = -1.0, 0.0
    np.save(tmp_path / "bad.npy", bad)
    run = str(tmp_path / "run")
    assert (
        main(
            ["train", "--process", "gbm", "--data", str(tmp_path / "good.npy"), "--out", run, *TINY]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["eval", run, "--data", str(tmp_path / "bad.npy"), "--quiet"]) == 2
    assert "in 2 row(s): 0, 299" in capsys.readouterr().err


FACTORY_CHECKS = """
from dmm.processes import OU
from dmm.spaces.positive import PositiveOrthant


def make(data):
    PositiveOrthant(2).validate(data)  # names the rows outside it
    return OU(2)
"""


def test_a_factory_that_checks_the_training_rows_names_the_files_row(tmp_path, capsys):
    """Made from the training rows, a factory's own SupportError numbered the bad row among them
    (100), not in the file (110)."""
    keep, _ = split_rows(400, 0.1, 0)
    x = np.random.default_rng(0).uniform(0.1, 1.1, size=(400, 2)).astype(np.float32)
    x[int(keep[100]), 0] = -1.0
    np.save(tmp_path / "bad.npy", x)
    (tmp_path / "fac.py").write_text(FACTORY_CHECKS)
    argv = [
        "train",
        "--process",
        f"{tmp_path / 'fac.py'}:make",
        "--data",
        str(tmp_path / "bad.npy"),
    ]
    assert main([*argv, "--out", str(tmp_path / "run"), *TINY]) == 2
    err = capsys.readouterr().err
    assert f"in 1 row(s): {int(keep[100])} (counted from 0)" in err, err


def test_a_table_run_records_no_fit_to_its_training_rows(tmp_path):
    """A table's encoding is read from the whole table (docs/tabular.md); its config claimed
    ``fit: training rows``."""
    import pandas as pd

    g = np.random.default_rng(0)
    frame = pd.DataFrame({"a": g.normal(size=80), "b": g.choice(["x", "y"], 80)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    argv = ["train", "--process", "tabular", "--data", str(tmp_path / "t.csv")]
    assert main([*argv, "--out", str(tmp_path / "run"), *TINY]) == 0
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["holdout"] == {"fraction": 0.1, "rows": 8}


def test_a_subset_of_a_large_file_is_drawn_from_its_training_rows(tmp_path, monkeypatch):
    """data.npy of a file over the size limit is a random subset, which a rebuilt run is made
    from: it held held-out rows of the file too."""
    import dmm.cli.rundir

    monkeypatch.setattr(dmm.cli.rundir, "MAX_DATA_BYTES", 2000)
    path, x = _file(tmp_path)
    (tmp_path / "seen.py").write_text(SEEN)
    monkeypatch.setenv("DMM_SEEN", str(tmp_path / "seen.npy"))
    out = tmp_path / "run"
    argv = ["train", "--process", f"{tmp_path / 'seen.py'}:make", "--data", str(path)]
    assert main([*argv, "--out", str(out), *TINY]) == 0
    _, held = split_rows(400, 0.1, 0)
    stored = np.load(out / "data.npy")[:, 0].astype(int)
    assert yaml.safe_load((out / "config.yaml").read_text())["data_subset"]
    assert len(stored) < 400 and not set(stored) & set(held.tolist())
    load_run(out)
    assert set(np.load(tmp_path / "seen.npy")[:, 0].astype(int)) <= set(stored)


def test_training_rows_written_otherwise_are_still_counted():
    """The same rotations written at 8 decimals were 109 of 360 training rows, the same angles
    wrapped in float64 94 of 400: eval's 'the metrics flatter it' note undercounted them."""
    from dmm.cli.rundir import shared_rows

    rng = np.random.default_rng(0)
    pool = torch.from_numpy(rng.uniform(-1, 1, size=(360, 9))).float()
    rounded = torch.from_numpy(np.round(pool.double().numpy(), 8))
    assert shared_rows(rounded, pool) == 360
    angles = rng.uniform(0, 2 * np.pi, size=(400, 2))
    wrapped64 = torch.from_numpy((angles + np.pi) % (2 * np.pi) - np.pi).float()
    wrapped32 = (
        torch.remainder(torch.from_numpy(angles).float() + torch.pi, 2 * torch.pi) - torch.pi
    )
    assert shared_rows(wrapped64, wrapped32) == 400
    other = torch.from_numpy(rng.uniform(-1, 1, size=(50, 9))).float()
    assert shared_rows(other, pool) == 0 and shared_rows(torch.cat([other, pool[:7]]), pool) == 7
    codes = torch.tensor([[0, 1], [2, 3], [4, 5]])
    assert shared_rows(codes, codes[1:]) == 2
    # and fresh rows are not training rows (found by a review of a looser tolerance): one
    # coordinate among 50 000 rows, integers of 1e6 off by one, a coordinate of few values
    pool1 = torch.from_numpy(rng.normal(size=(50_000, 1))).float()
    # (equal float32 values by chance: about 50 000 × 1.2e-7 × 0.4, 0.2% of rows; a window of
    # 1e-6 had found 4%)
    assert shared_rows(torch.from_numpy(rng.normal(size=(5000, 1))).float(), pool1) < 50
    big = torch.from_numpy(rng.integers(10**6, 2 * 10**6, size=(1000, 2))).double()
    assert shared_rows(big + 1, big) <= 2
    levels = torch.from_numpy(rng.integers(0, 5, size=(1000, 4)) * 0.25).float()
    assert shared_rows(levels + 1e-7, levels) == 0  # exact only: 1e-7 off is another row
