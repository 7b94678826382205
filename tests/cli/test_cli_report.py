"""The MATH.md §8 error report against closed forms for VP."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import yaml
from scipy.integrate import quad

from dmm.cli.main import main
from dmm.losses import DenoisingScoreMatching, eps_weighting
from dmm.metrics.report import estimation_term, numerical_term, terminal_term
from dmm.processes import VP
from dmm.processes.schedules import LinearSchedule


def _vp_kl_by_hand(x0: np.ndarray, beta_min: float, beta_max: float, T: float = 1.0) -> float:
    """KL(N(α_T x0, s_T² I) || N(0, I)) averaged over rows: ½ Σ_d (s² - 1 - log s² + α² x0_d²)."""
    B = beta_min * T + 0.5 * (beta_max - beta_min) * T**2
    a2, s2 = math.exp(-B), 1 - math.exp(-B)
    d = x0.shape[1]
    return float(np.mean(0.5 * (d * (s2 - 1 - math.log(s2)) + a2 * (x0**2).sum(1))))


def test_terminal_term_matches_the_closed_form_and_monte_carlo():
    x0 = torch.tensor([[0.0, 0.0], [1.5, -0.5], [-2.0, 3.0]], dtype=torch.float64)
    process = VP(2, LinearSchedule(0.1, 3.0))
    got = terminal_term(process, x0)["value"]
    assert got == pytest.approx(_vp_kl_by_hand(x0.numpy(), 0.1, 3.0), rel=1e-12)
    # Monte Carlo: KL = E_{x~p_{T|0}} [log p_{T|0}(x|x0) - log q(x)], 200k draws per point;
    # tolerance 4 standard errors of the mean (a false failure has probability ~6e-5).
    g = torch.Generator().manual_seed(0)
    T = torch.ones(1, dtype=torch.float64)
    a, s = process.alpha(T), process.std(T)
    estimates, variances = [], []
    for row in x0:
        eps = torch.randn(200_000, 2, generator=g, dtype=torch.float64)
        x = a * row + s * eps
        log_p = (-0.5 * eps**2 - torch.log(s) - 0.5 * math.log(2 * math.pi)).sum(1)
        log_q = process.reference.log_prob(x)
        estimates.append((log_p - log_q).mean())
        variances.append((log_p - log_q).var() / len(x))
    mc, se = torch.stack(estimates).mean(), torch.stack(variances).sum().sqrt() / len(x0)
    assert abs(got - float(mc)) < 4 * float(se)


def test_terminal_term_reports_a_missing_capability():
    class NoKL(VP):
        def terminal_kl(self, x0):
            return super(VP.__mro__[1], self).terminal_kl(x0)  # the Process default

    out = terminal_term(NoKL(2), torch.zeros(3, 2))
    assert out["value"] is None and "no closed-form terminal KL" in out["reason"]
    assert "tv_bound" not in out  # the default TV bound needs the KL


def test_terminal_term_reports_the_tv_bound_where_the_kl_is_infinite():
    from dmm.processes.levy_ou import LevyOU

    x0 = torch.tensor([[0.5, -1.0], [3.0, 0.0]])
    vp = terminal_term(VP(2), x0)
    assert vp["tv_bound"] == pytest.approx(float(VP(2).terminal_tv(x0).mean()))
    levy = terminal_term(LevyOU.student_t(2, 2.0, rate=2.0), x0, torch.Generator().manual_seed(0))
    assert levy["value"] is None and "infinite" in levy["reason"]
    assert 0 < levy["tv_bound"] < 0.1  # e^{-5} |x_0 - X'| against v ~ 1: about 1%


class ShiftedExactScore(torch.nn.Module):
    """For data N(0, I) through VP, p_t = N(0, I) for all t: the exact score is -y; add ``c``."""

    def __init__(self, c):
        super().__init__()
        self.c = torch.as_tensor(c, dtype=torch.float64)

    def score(self, y, t, context=None):
        return -y + self.c


@pytest.mark.parametrize("c", [[0.0, 0.0], [0.7, -0.4]])
def test_estimation_term_is_the_kl_weighted_integral(c):
    # E ½β|s_θ - ∇log p_{t|0}|² = ½β (d [α² + (1/s - s)²] + |c|²), integrated over [t_min, T]:
    # the θ-free constant (c = 0) plus ½|c|² (B(T) - B(t_min)), the path-KL of the shift.
    # Trained with the ε weighting: the report must still use the KL weighting.
    process = VP(2, LinearSchedule(0.1, 20.0), t_min=0.05)
    sched = process.schedule

    def integrand(t):
        tt = torch.tensor([t], dtype=torch.float64)
        a2, s = float(process.alpha(tt) ** 2), float(process.std(tt))
        return 0.5 * float(sched.beta(tt)) * (2 * (a2 + (1 / s - s) ** 2) + sum(v * v for v in c))

    exact, _ = quad(integrand, process.t_min, process.T, limit=200)
    x0 = torch.randn(40_000, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    loss = DenoisingScoreMatching(process, eps_weighting)
    out = estimation_term(
        process, ShiftedExactScore(c), loss, x0, torch.Generator().manual_seed(2), chunk=8192
    )
    # 4 standard errors of the Monte Carlo mean
    assert abs(out["value"] - exact) < 4 * out["std_error"], (out, exact)
    assert out["std_error"] < 0.05 * exact  # the test has power: the error bar is small


def test_numerical_term_is_zero_for_a_step_independent_sampler():
    base = torch.randn(300, 2, generator=torch.Generator().manual_seed(0))
    out = numerical_term(lambda n, steps: base[:n], 10, 200, base, 0)
    # identical sets: zero up to the rounding of |a - b| from squared norms (~1e-10)
    assert out["value"] == pytest.approx(0.0, abs=1e-8) and out["floor"] > 1e-4
    assert out["steps"] == [10, 20]
    shifted = numerical_term(lambda n, steps: base[:n] + (steps == 20), 10, 200, base, 0)
    assert shifted["value"] > 10 * shifted["floor"]


def _vp_cosine_kl_by_hand(x0: np.ndarray) -> float:
    """The same for the default cosine schedule, whose integral is ``B(1) = 10`` by design."""
    a2, s2 = math.exp(-10.0), 1 - math.exp(-10.0)
    return float(np.mean(0.5 * (x0.shape[1] * (s2 - 1 - math.log(s2)) + a2 * (x0**2).sum(1))))


def test_dmm_eval_terminal_term_is_the_vp_closed_form(tiny_run, tmp_path, capsys):
    # the run uses the default VP (cosine schedule, B(1) = 10); eval on a file uses all its rows
    x = np.random.default_rng(3).normal(scale=2.0, size=(40, 2))
    np.save(tmp_path / "x.npy", x)
    assert (
        main(["eval", str(tiny_run), "--data", str(tmp_path / "x.npy"), "-n", "20", "--steps", "3"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    terminal = report["error_report"]["terminal"]["value"]
    # the terms live in the model's coordinates: the run standardised its data with this map
    scaling = yaml.safe_load((tiny_run / "config.yaml").read_text())["scaling"]
    z = (x - np.array(scaling["mean"])) / np.array(scaling["scale"])
    # float32: the cosine integral at T takes the log of cos θ(1) ≈ 0.0067, which keeps about
    # five digits (measured relative error 2e-5); tolerance 1e-4
    assert terminal == pytest.approx(_vp_cosine_kl_by_hand(z.astype(np.float32)), rel=1e-4)


def test_dmm_eval_likelihood_in_data_coordinates(tiny_run, tmp_path, capsys):
    # The run standardised its data, y = (x - m) / k per coordinate, so the density of rows in
    # the data's coordinates is p_x(x) = p_y(y) / Π k: the reported value must be the model's
    # log-likelihood of the encoded rows minus Σ log k, computed here without the CLI. Tolerance
    # 1e-3 relative: eval permutes the rows and the adaptive solver's step control sees the whole
    # batch, so the two solves (rtol 1e-5) take different steps (measured gap 3e-4 relative).
    from dmm.cli.rundir import load_run
    from dmm.metrics.likelihood import flow_log_likelihood
    from dmm.reversal import Reversal

    x = np.random.default_rng(5).normal(size=(12, 2)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    argv = ["eval", str(tiny_run), "--data", str(tmp_path / "x.npy"), "-n", "12", "--steps", "3"]
    assert main([*argv, "--likelihood", "--quiet"]) == 0
    got = json.loads(capsys.readouterr().out)["likelihood"]
    assert got["n"] == 12 and got["nfe"] > 10
    run = load_run(str(tiny_run))
    y = run.built.encode(torch.from_numpy(x))
    model = flow_log_likelihood(Reversal(run.process, run.model), y).log_prob.double().mean()
    scale = yaml.safe_load((tiny_run / "config.yaml").read_text())["scaling"]["scale"]
    expected = float(model) - sum(math.log(s) for s in scale)
    assert got["log_likelihood"] == pytest.approx(expected, rel=1e-3)
    assert got["bits_per_dim"] == pytest.approx(-got["log_likelihood"] / (2 * math.log(2)))


def test_dmm_eval_likelihood_refuses_a_process_off_r_d(tmp_path, capsys):
    run = tmp_path / "gbm"
    data = np.random.default_rng(0).lognormal(size=(200, 2)).astype(np.float32)
    np.save(tmp_path / "pos.npy", data)
    assert (
        main(
            [
                "train",
                "--process",
                "gbm",
                "--data",
                str(tmp_path / "pos.npy"),
                "--out",
                str(run),
                "--steps",
                "2",
                "--quiet",
                "--set",
                "hidden=8",
                "--set",
                "depth=1",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["eval", str(run), "--likelihood", "-n", "8", "--steps", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--likelihood needs a diffusion on R^d" in err and "Traceback" not in err
    assert not (run / "eval.json").exists()


@pytest.mark.parametrize(
    "process, data, needle",
    [
        ("levy-ou", "student-t-2-2d", "Jumps blocks"),
        ("examples/processes/jump_diffusion.py:make", "moons", "Jumps blocks"),
    ],
)
def test_dmm_eval_likelihood_refuses_jumps_before_sampling(process, data, needle, tmp_path, capsys):
    """A jump process on R^d (``levy-ou``, a user's jump diffusion) passed the check and crashed
    with a traceback after sampling: its reference has no density, and the probability-flow ODE
    does not give a jump process's marginals. One line, exit 2, before any sampling."""
    from pathlib import Path

    run = tmp_path / "run"
    source = str(Path(__file__).parents[2] / process) if process.endswith(":make") else process
    argv = ["train", "--process", source, "--data", data, "--n-data", "200", "--out", str(run)]
    assert main([*argv, "--steps", "2", "--quiet", "--set", "hidden=8", "--set", "depth=1"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--likelihood", "-n", "8", "--steps", "2", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert not (run / "eval.json").exists()
