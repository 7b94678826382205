"""Processes on R^d standardise their data by default: the map is recorded in the run, samples
come back in the data's coordinates, and a run from before the map keeps training on raw values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml

from dmm.cli.main import main
from dmm.cli.rundir import load_run

SMALL = ["--quiet", "--set", "hidden=64", "--set", "depth=2", "--set", "sample_steps=100"]


def _gaussian(tmp_path, n=2000):
    x = np.random.default_rng(0).normal(size=(n, 2)) * [50.0, 0.01] + [1000.0, -3.0]
    path = tmp_path / "far.npy"
    np.save(path, x.astype(np.float32))
    return path, x


def test_samples_come_back_in_the_datas_coordinates(tmp_path, capsys):
    # tolerance: after 600 steps on N((1000, -3), diag(50, 0.01)^2) the samples' mean and std
    # are within 10% of a standard deviation and 15% of it; without the map the data would sit
    # 20 reference standard deviations away from the reference law (terminal KL ~ 1e3 nats)
    path, x = _gaussian(tmp_path)
    out = tmp_path / "run"
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(out), "--steps", "600"]
    assert main([*argv, *SMALL]) == 0
    assert "terminal KL" not in capsys.readouterr().out
    scaling = yaml.safe_load((out / "config.yaml").read_text())["scaling"]
    np.testing.assert_allclose(scaling["mean"], [1000.0, -3.0], rtol=1e-2)
    np.testing.assert_allclose(scaling["scale"], [50.0, 0.01], rtol=0.05)
    assert main(["sample", str(out), "-n", "2000", "-o", str(tmp_path / "s.npy"), "--quiet"]) == 0
    s = np.load(tmp_path / "s.npy")
    std = np.array([50.0, 0.01])
    assert (np.abs(s.mean(0) - [1000.0, -3.0]) < 0.1 * std).all(), s.mean(0)
    assert (np.abs(s.std(0) / std - 1) < 0.15).all(), s.std(0)
    run = load_run(out)
    torch.testing.assert_close(run.data, torch.from_numpy(np.load(out / "data.npy")))


def test_raw_values_warn_about_the_terminal_term(tmp_path, capsys):
    path, _ = _gaussian(tmp_path, 200)
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(tmp_path / "raw")]
    assert main([*argv, "--steps", "5", *SMALL, "--set", "standardise=false"]) == 0
    out = capsys.readouterr().out
    assert "note: the data leave a terminal KL of" in out
    assert "--set standardise=true" in out
    assert "scaling" not in yaml.safe_load((tmp_path / "raw" / "config.yaml").read_text())


def test_a_run_from_before_the_map_keeps_raw_values(tiny_run, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(tiny_run, old)
    config = yaml.safe_load((old / "config.yaml").read_text())
    del config["scaling"], config["params"]["standardise"]  # what an older version wrote
    (old / "config.yaml").write_text(yaml.safe_dump(config))
    run = load_run(old)
    assert run.built.scaling is None and run.params["standardise"] is False
    assert load_run(tiny_run).built.scaling is not None
    assert main(["train", "--resume", str(old), "--steps", "25", "--quiet"]) == 0
    resumed = yaml.safe_load((old / "config.yaml").read_text())
    assert resumed["params"]["standardise"] is False and "scaling" not in resumed


def test_a_vp_run_from_before_fourier_features_loads_without_them(tmp_path):
    # vp's default became fourier=3 on 2026-12-03; a run whose config.yaml has no `fourier`
    # was trained with the plain MLP and must load its checkpoint into one
    out = tmp_path / "old"
    argv = ["train", "--process", "vp", "--data", "moons", "--out", str(out), "--steps", "5"]
    assert main([*argv, *SMALL, "--set", "fourier=0"]) == 0
    config = yaml.safe_load((out / "config.yaml").read_text())
    del config["params"]["fourier"]
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    run = load_run(out)
    assert run.params["fourier"] == 0 and run.built.model.net.fourier is None
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "s.npy"), "--quiet"]) == 0


def test_a_levy_run_from_before_the_ball_features_loads_without_them(tmp_path):
    # levy-ou's defaults became tail_radius=10 and loss_anchor=true on 2026-12-03; a run whose
    # config.yaml has neither was trained with asinh features and proposals from g
    out = tmp_path / "old"
    argv = ["train", "--process", "levy-ou", "--data", "student-t-3-2d", "--out", str(out)]
    assert main([*argv, "--steps", "5", *SMALL, "--set", "tail_radius=0"]) == 0
    config = yaml.safe_load((out / "config.yaml").read_text())
    del config["params"]["tail_radius"], config["params"]["loss_anchor"]
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    run = load_run(out)
    assert run.params["tail_radius"] == 0.0 and run.built.model.ratio_model.radius is None
    assert run.built.loss.anchor is None
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "s.npy"), "--quiet"]) == 0


def test_the_robust_map_reads_the_quartiles():
    from dmm.cli.scaling import ColumnScaling

    rows = torch.tensor(
        [[1.0, 5.0, 2.0], [2.0, 5.0, 2.0], [4.0, 5.0, 2.0], [100.0, 5.0, 9.0], [float("nan"), 0, 0]]
    )
    m = ColumnScaling.robust(rows, 0.5)  # the NaN row is left out
    # quartiles as torch.quantile's: 1.75 and 28 (first column), 2 and 3.75 (third)
    q = torch.quantile(rows[:4].double(), torch.tensor([0.25, 0.75], dtype=torch.float64), dim=0)
    assert q[:, 0].tolist() == [1.75, 28.0]
    assert m.mean == pytest.approx(((1.75 + 28) / 2, 5.0, (2 + 3.75) / 2))
    # half the distance over 0.5; no spread -> 1
    assert m.scale == pytest.approx((28 - 1.75, 1.0, 3.75 - 2))
    torch.testing.assert_close(m.decode(m.encode(rows[:4])), rows[:4])


def test_the_robust_map_is_the_median_and_deviation_of_a_symmetric_law():
    from dmm.cli.scaling import ColumnScaling

    torch.manual_seed(0)  # a Student-t of index 1.5: no variance; its median 7, scale 3
    x = torch.distributions.StudentT(1.5).sample((200001, 1)).double() * 3 + 7
    m = ColumnScaling.robust(x, 1.0)
    median = x.median()
    assert m.mean[0] == pytest.approx(float(median), abs=0.02)
    assert m.scale[0] == pytest.approx(float((x - median).abs().median()), rel=0.01)


def test_the_robust_map_centres_two_balanced_modes_between_them():
    # four Gaussians of std 0.05 at (±2, ±2): the median and the deviation from it sat on one
    # mode (1.86, scale 0.44), putting the other mode 8.8 spreads away
    from dmm.cli.scaling import ColumnScaling

    g = torch.Generator().manual_seed(0)
    signs = torch.randint(0, 2, (20000, 2), generator=g) * 4.0 - 2.0
    x = signs + 0.05 * torch.randn(20000, 2, generator=g)
    m = ColumnScaling.robust(x, 1.0)
    assert max(abs(c) for c in m.mean) < 0.1
    assert all(s == pytest.approx(2.0, abs=0.1) for s in m.scale)
    assert m.encode(x).abs().max() < 1.3


def test_a_levy_run_from_before_its_map_keeps_raw_values(tmp_path):
    # levy-ou standardises since 2026-12-05; a run whose config.yaml has no `standardise` was
    # trained on raw values and must rebuild on them
    out = tmp_path / "old"
    argv = ["train", "--process", "levy-ou", "--data", "student-t-3-2d", "--out", str(out)]
    assert main([*argv, "--steps", "5", *SMALL]) == 0
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["params"]["standardise"] is True and "scaling" in config
    del config["scaling"], config["params"]["standardise"]
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    run = load_run(out)
    assert run.params["standardise"] is False and run.built.scaling is None
    torch.testing.assert_close(run.built.data, torch.from_numpy(np.load(out / "data.npy")))


def test_tied_quartiles_take_the_spread_of_the_other_rows(tmp_path, capsys):
    """A zero-inflated column (80% zeros) fell back to scale 1 in data units (the column's own
    spread 0.01: samples 10x too wide); a constant column is named at training."""
    from dmm.cli.scaling import ColumnScaling

    rng = np.random.default_rng(5)
    x = rng.standard_t(3, size=(4000, 2)) * [1000.0, 0.01]
    x[rng.random(4000) < 0.8, 1] = 0.0
    m = ColumnScaling.robust(torch.as_tensor(x), 1.0)
    others = x[x[:, 1] != 0, 1]
    assert m.mean[1] == 0.0 and m.scale[1] == pytest.approx(np.median(np.abs(others)), rel=1e-6)
    assert 0.003 < m.scale[1] < 0.03
    # the other rows far from the tie: their distance to it, not their own spread
    x[x[:, 1] != 0, 1] = 1000.0
    assert ColumnScaling.robust(torch.as_tensor(x), 1.0).scale[1] == pytest.approx(1000.0)
    x[:, 1] = 7.0
    path = tmp_path / "c.npy"
    np.save(path, x.astype(np.float32))
    out = str(tmp_path / "run")
    argv = ["train", "--process", "levy-ou", "--data", str(path), "--out", out, "--steps", "2"]
    assert main(argv) == 0
    assert "coordinate(s) 1 = 7 in every row" in capsys.readouterr().out


@pytest.mark.parametrize("process, sets", [("levy-ou", []), ("vp", ["--set", "standardise=false"])])
def test_a_coordinate_too_large_for_float32_is_one_line(tmp_path, capsys, process, sets):
    """One value of 1e20 among Student-t rows: levy-ou's quartile scale leaves it at 1e20, whose
    square overflows float32; the run stopped at step 10 with a NaN loss and 'try a smaller lr'."""
    x = np.random.default_rng(0).standard_t(2, size=(400, 2))
    x[5, 0] = 1e20
    path, out = tmp_path / "x.npy", tmp_path / "run"
    np.save(path, x)
    argv = ["train", "--process", process, "--data", str(path), "--out", str(out)]
    assert main([*argv, "--steps", "20", *SMALL, *sets]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "beyond 1e+15" in err[0] and "1 row(s): 5 " in err[0], err
    assert not out.exists()
    x[5, 0] = 1e8  # large, but trainable
    np.save(path, x)
    assert main([*argv, "--steps", "20", *SMALL, *sets]) == 0


def test_a_column_of_whole_numbers_is_noted(tmp_path, capsys):
    """A column of counts came back from vp and gbm as 5.3894753, without a word."""
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(size=200), rng.poisson(3, size=200) + 1, rng.integers(0, 2, 200)]
    path = tmp_path / "counts.npy"
    np.save(path, x)
    argv = ["train", "--process", "vp", "--data", str(path), "--out", str(tmp_path / "r")]
    assert main([*argv, "--steps", "3", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "note: column(s) 1 hold whole numbers only (0-based)" in out  # not the 0/1 column
