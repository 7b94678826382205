"""benchmarks/peers.py: its dmm-only path end to end on a tiny budget, the 10-D mixture it makes,
the peers' ODE loops against an exact solution, and (where torchcfm and flow_matching are
installed, the ``bench`` extra) the peers' path."""

from __future__ import annotations

import importlib.util
import json
import math

import pytest
import torch
from torch import nn

from scripts import load_script

TINY = ["--steps", "30", "--hidden", "32", "--depth", "1", "--batch", "64", "--n-eval", "200"]
TINY += ["--budgets", "10", "--sets", "moons"]


@pytest.fixture(scope="module")
def peers():
    return load_script("benchmarks", "peers")


def test_dmm_only_run_scores_every_sampler_within_the_budget(peers, tmp_path, capsys):
    out = peers.main([*TINY, "--peers", "none", "--json", str(tmp_path / "p.json")])
    (row,) = out["rows"]
    assert row["method"] == "dmm" and row["budget"] == 10
    fitted = {name + peers.FITTED for name in peers.DMM_FITTED}  # at 10: fitted grids too
    assert set(row["selection_auc"]) == set(peers.DMM_SAMPLERS) | fitted
    assert row["grid_fit_cpu_s"] >= 0 and (row["grid_fit_cpu_s"] > 0) == (row["sampler"] in fitted)
    assert row["sampler"] == min(row["selection_auc"], key=row["selection_auc"].get)
    assert 2 <= row["nfe"] <= 10  # the final denoising step counted inside the budget
    for key in ("c2st_auc", "off_support", "precision", "recall"):
        assert 0.0 <= row[key] <= 1.0, key
    assert math.isfinite(row["energy_ratio"]) and row["train_cpu_s"] > 0
    assert json.loads((tmp_path / "p.json").read_text())["rows"][0]["c2st_auc"] == row["c2st_auc"]
    assert "| moons | dmm | 10 (" in capsys.readouterr().out


@pytest.mark.parametrize("dim", [5, 10])
def test_gmm_is_the_documented_mixture(peers, dim):
    x = peers.gmm(dim, 20000, torch.Generator().manual_seed(3))
    if dim == 10:
        assert torch.equal(x, peers.draw("gmm10", 20000, 3))
    mu, root = peers.gmm_shape(dim)
    near = (x - mu).norm(dim=1) < 0.5  # the narrow component (std 0.05 per coordinate)
    # share 0.25 (binomial sd 0.003 at n = 20000); the broad rest has the declared covariance
    assert abs(mu.norm() - 3) < 1e-5 and abs(float(near.double().mean()) - 0.25) < 0.015
    assert torch.allclose(x[near].std(0), torch.full((dim,), 0.05), rtol=0.1)
    eig = torch.linalg.eigvalsh(torch.cov(x[~near].T))
    assert torch.allclose(eig, torch.logspace(math.log10(0.05), math.log10(2.0), dim), rtol=0.1)
    off_diag = torch.corrcoef(x[~near].T) - torch.eye(dim)
    assert off_diag.abs().max() > 0.3  # correlated, not axis-aligned


class Identity(nn.Module):
    def forward(self, x, t):  # dx/dt = x: x(1) = e x(0)
        return x


@pytest.mark.parametrize("solver,tol", [("euler", 0.05), ("midpoint", 0.01), ("heun", 0.01)])
def test_peer_loops_solve_a_linear_ode_and_spend_their_budget(peers, solver, tol):
    x, calls = peers.peer_sample("icfm", Identity(), solver, 10, 50, 2, seed=0, grids={})
    x0 = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    assert calls == 10
    assert float((x - math.e * x0).norm() / (math.e * x0).norm()) < tol
    if importlib.util.find_spec("flow_matching") is not None:
        y, calls = peers.peer_sample("fm", Identity(), solver, 10, 50, 2, seed=0, grids={})
        assert calls == 10 and torch.allclose(x, y, atol=1e-5)


@pytest.mark.parametrize("solver", ["euler", "midpoint", "heun"])
def test_peer_fitted_grids_spend_the_same_budget(peers, solver):
    # dx/dt = x: a one-step error grows with x, so the fitted grid's steps shrink towards t = 1;
    # the grid is cached per solver and budget, and both peer loops run on it
    grids: dict = {}
    x, calls = peers.peer_sample("icfm", Identity(), solver + "+fitted", 10, 50, 2, 0, grids)
    grid, seconds = grids[solver + "+fitted", 10]
    steps = 10 // peers.PEER_SOLVERS[solver]
    assert calls == 10 and len(grid) == steps + 1 and seconds > 0
    assert grid[0] == 0 and grid[-1] == 1 and bool((grid[1:] > grid[:-1]).all())
    assert grid[-1] - grid[-2] < grid[1] - grid[0]
    x0 = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    assert float((x - math.e * x0).norm() / (math.e * x0).norm()) < 0.1
    if importlib.util.find_spec("flow_matching") is not None:
        y, _ = peers.peer_sample("fm", Identity(), solver + "+fitted", 10, 50, 2, 0, grids)
        assert torch.allclose(x, y, atol=1e-5)


@pytest.mark.slow  # ~25 s: four trainings and their fitted grids
def test_peers_path_and_icfm_equals_condot(peers):
    pytest.importorskip("torchcfm")
    pytest.importorskip("flow_matching")
    rows = {r["method"]: r for r in peers.main([*TINY, "--peers", "icfm", "otcfm", "fm"])["rows"]}
    assert set(rows) == {"dmm", "icfm", "otcfm", "fm"}
    for r in rows.values():
        assert r["nfe"] <= 10 and 0.0 <= r["c2st_auc"] <= 1.0
    # I-CFM with sigma = 0 and the CondOT path are the same regression (x_t = t x1 + (1-t) x0,
    # u = x1 - x0); fed the same draws they train and sample the same model
    assert rows["icfm"]["c2st_auc"] == pytest.approx(rows["fm"]["c2st_auc"], abs=1e-3)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--json", "/proc/nope/p.json"], "--json cannot write"),  # a traceback after the run
        (["--steps", "0"], "--steps takes a positive whole number"),
        (["--n-eval", "0"], "--n-eval takes a positive whole number"),
    ],
)
def test_bad_arguments_stop_before_any_training(argv, needle, capsys):
    peers = load_script("benchmarks", "peers")
    with pytest.raises(SystemExit) as stop:
        peers.main(argv)
    assert stop.value.code == 2 and needle in capsys.readouterr().err
