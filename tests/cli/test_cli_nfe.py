"""``--nfe N``: a budget of network evaluations for whichever sampler, and the count printed by
``dmm sample``; the exponential integrators ``dpm1``/``dpm2`` run on a trained VP run."""

import json
import math
import shutil

import numpy as np
import pytest
from cli_tiny import TINY

from dmm.cli.main import main


def _sample(tiny_run, tmp_path, *extra):
    out = tmp_path / "x.npy"
    argv = ["sample", str(tiny_run), "-n", "20", "-o", str(out), "--force", "--quiet", *extra]
    return main(argv), out


@pytest.mark.parametrize(
    "sampler, nfe, denoise, steps, used",
    [
        ("ode-heun", 11, "--denoise", 5, 11),  # 2 per step + 1 for the denoising step
        ("ode-heun", 12, "--denoise", 5, 11),  # the 12th evaluation would need half a step
        ("ode-heun", 12, "--no-denoise", 6, 12),
        ("pc", 7, "--no-denoise", 3, 6),  # one predictor and one corrector evaluation per step
        ("dpm2", 10, "--denoise", 9, 10),
        ("em", 4, "--no-denoise", 4, 4),
    ],
)
def test_nfe_picks_the_most_steps_within_the_budget(
    tiny_run, tmp_path, capsys, sampler, nfe, denoise, steps, used
):
    rc, out = _sample(tiny_run, tmp_path, "--sampler", sampler, "--nfe", str(nfe), denoise)
    assert rc == 0
    text = capsys.readouterr().out
    assert f"({sampler}, {steps} steps" in text and f"{used} network evaluations)" in text
    assert np.isfinite(np.load(out)).all()


@pytest.mark.parametrize(
    "sampler, steps, shown",
    [
        ("dpm2", 10, "(dpm2, 10 steps, 10 network evaluations)"),  # deterministic: no denoising
        ("ode-euler", 10, "(ode-euler, 10 steps, 10 network evaluations)"),
        ("em", 9, "(em, 9 steps, denoised, 10 network evaluations)"),  # the run's setting
    ],
)
def test_denoising_by_default_only_after_a_stochastic_sampler(
    tiny_run, tmp_path, capsys, sampler, steps, shown
):
    rc, _ = _sample(tiny_run, tmp_path, "--sampler", sampler, "--nfe", "10")
    assert rc == 0
    assert shown in capsys.readouterr().out


def test_steps_print_their_count(tiny_run, tmp_path, capsys):
    rc, _ = _sample(tiny_run, tmp_path, "--sampler", "ode-heun", "--steps", "4", "--denoise")
    assert rc == 0
    assert "(ode-heun, 4 steps, denoised, 9 network evaluations)" in capsys.readouterr().out


def test_nfe_below_one_step_is_an_error(tiny_run, tmp_path, capsys):
    rc, out = _sample(tiny_run, tmp_path, "--sampler", "ode-heun", "--nfe", "2", "--denoise")
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "--nfe 2, 1 of them for the denoising step" in err and "fewer than one step" in err


def test_nfe_and_steps_exclude_each_other(tiny_run, tmp_path, capsys):
    rc, out = _sample(tiny_run, tmp_path, "--nfe", "10", "--steps", "5")
    assert rc == 2 and not out.exists()
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("sampler", ["dpm1", "dpm2"])
def test_exponential_integrators_sample_a_vp_run(tiny_run, tmp_path, capsys, sampler):
    rc, out = _sample(tiny_run, tmp_path, "--sampler", sampler, "--steps", "6")
    assert rc == 0
    x = np.load(out)
    assert x.shape == (20, 2) and np.isfinite(x).all()
    assert f"({sampler}, 6 steps" in capsys.readouterr().out


def test_eval_records_the_network_evaluations(tiny_run, capsys):
    import json

    assert main(["eval", str(tiny_run), "-n", "50", "--sampler", "dpm2", "--nfe", "8"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sampler"] == "dpm2" and report["nfe"] <= 8 and report["steps"] >= 1


def test_grid_at_sampling_time(tiny_run, tmp_path, capsys):
    # --grid changes the grid, not the budget; the fitted grid is said in the summary line
    base = ["--sampler", "ode-euler", "--nfe", "8"]
    outs = {}
    for grid in (None, "log-snr", "fitted"):
        (tmp_path / (grid or "own")).mkdir()
        rc, out = _sample(
            tiny_run, tmp_path / (grid or "own"), *base, *(["--grid", grid] * bool(grid))
        )
        assert rc == 0
        text = capsys.readouterr().out
        assert "(ode-euler, 8 steps" in text and "8 network evaluations" in text
        assert ("on the fitted grid" in text) == (grid == "fitted")
        # the fit's own cost, said beside the samples' (128 pilots, 65 candidate times)
        fit = "; fitting the grid: 331,776 evaluations of one row each)"
        assert (fit in text) == (grid == "fitted")
        outs[grid] = np.load(out)
    assert not np.allclose(outs[None], outs["log-snr"])
    assert not np.allclose(outs[None], outs["fitted"])
    (tmp_path / "again").mkdir()
    rc, again = _sample(tiny_run, tmp_path / "again", *base, "--grid", "fitted")
    assert rc == 0 and np.array_equal(np.load(again), outs["fitted"])  # pilots seeded by --seed


@pytest.mark.parametrize(
    "sampler, why",
    [
        ("em", "em is stochastic (this run's: ode-euler, ode-heun, dpm1, straight-"),
        ("unipc", "unipc is multistep"),
    ],
)
def test_fitted_grid_refuses_other_samplers(tiny_run, tmp_path, capsys, sampler, why):
    rc, out = _sample(tiny_run, tmp_path, "--sampler", sampler, "--grid", "fitted")
    err = capsys.readouterr().err
    assert rc == 2 and why in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_gaussian_grids_need_a_gaussian_kernel(tmp_path, capsys):
    run = tmp_path / "torus"
    argv = ["train", "--process", "torus-brownian", "--data", "torus-checkerboard"]
    assert main([*argv, "--out", str(run), *TINY]) == 0
    rc, out = _sample(run, tmp_path, "--sampler", "ode-euler", "--steps", "4", "--grid", "log-snr")
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("dmm: error: --grid log-snr") and not out.exists()
    rc, out = _sample(run, tmp_path, "--sampler", "ode-euler", "--steps", "4", "--grid", "fitted")
    assert rc == 0 and np.isfinite(np.load(out)).all()  # the fitted grid needs only the sampler


def test_eval_on_a_fitted_grid(tiny_run, tmp_path, capsys):
    # the report names the grid; its numerical term refits the grid for its other step count
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    argv = ["eval", str(run), "-n", "100", "--sampler", "ode-euler", "--nfe", "4", "--quiet"]
    assert main([*argv, "--grid", "fitted"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["grid"], out["steps"], out["nfe"]) == ("fitted", 4, 4)
    assert math.isfinite(out["error_report"]["numerical"]["value"])


@pytest.mark.parametrize("value", ["0", "-3", "x"])
def test_a_budget_that_is_not_positive_is_named_as_such(value, tmp_path, capsys):
    """--nfe -3 said '-4 network evaluations are fewer than one step of EulerMaruyama (1)'."""
    argv = [
        "sample",
        str(tmp_path / "none"),
        "-n",
        "4",
        "-o",
        str(tmp_path / "s.npy"),
        "--nfe",
        value,
    ]
    assert main(argv) == 2
    assert f"--nfe takes a positive whole number, got '{value}'" in capsys.readouterr().err


def test_eval_reports_the_grid_that_ran(tmp_path):
    """eval.json said "grid": null unless --grid was given, though the grid differs by sampler
    and process (vp: unipc on the log-SNR grid, the others on the straight grid)."""
    import json

    run = tmp_path / "run"
    train = ["train", "--process", "vp", "--data", "moons", "--out", str(run), "--steps", "5"]
    assert main([*train, "--quiet"]) == 0
    for sampler, grid, extra in (
        ("em", "straight", []),
        ("unipc", "log-snr", []),
        ("em", "edm", ["--grid", "edm"]),
    ):
        argv = ["eval", str(run), "-n", "64", "--steps", "4", "--sampler", sampler, "--quiet"]
        assert main([*argv, "--null-permutations", "0", *extra]) == 0
        assert json.loads((run / "eval.json").read_text())["grid"] == grid
