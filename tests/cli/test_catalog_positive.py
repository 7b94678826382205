"""The ``gbm`` and ``geometric-ou`` catalogue entries build working objects from data."""

from __future__ import annotations

import pytest
import torch

from dmm.cli.catalog import build, get_process
from dmm.data import orthant_gmm_2d
from dmm.losses import (
    DenoisingScoreMatching,
    StraightPathTimes,
    batch_posterior_target,
    eps_weighting,
    kl_weighting,
    straight_weighting,
)
from dmm.processes import GBM, GeometricOU
from dmm.scores import VelocityParam
from dmm.scores.log_coordinates import LogEpsParam, LogScoreParam
from dmm.spaces import SupportError


@pytest.mark.parametrize("name,cls", [("gbm", GBM), ("geometric-ou", GeometricOU)])
def test_catalog_builds_velocity_model_and_straight_dsm(name, cls) -> None:
    data = orthant_gmm_2d(500, torch.Generator().manual_seed(0))
    built = build(name, data, {"hidden": 16, "depth": 1})
    process, model, loss = built.process, built.model, built.loss
    assert isinstance(process, cls)
    assert isinstance(model, VelocityParam)
    assert isinstance(loss, DenoisingScoreMatching) and loss.weighting is straight_weighting
    assert loss.target is batch_posterior_target
    eps = build(
        name,
        data,
        {"hidden": 16, "depth": 1, "parameterisation": "log-eps"} | {"weighting": "log-eps"},
    )
    assert type(eps.model) is LogEpsParam and eps.loss.weighting is eps_weighting
    kl = build(
        name, data, {"hidden": 16, "depth": 1, "parameterisation": "log-score", "weighting": "kl"}
    )
    assert type(kl.model) is LogScoreParam and kl.loss.weighting is kl_weighting
    assert torch.isfinite(loss(model, data, torch.Generator().manual_seed(1)))
    assert "pc" not in built.samplers and built.default_sampler == "em"
    # the reference has the data's log-moments (geometric-ou) / those of log X_T (gbm)
    z = torch.log(data)
    torch.testing.assert_close(process.space.log_loc, z.mean(0))
    assert process.terminal_kl(data).mean() < 0.05


@pytest.mark.parametrize("name", ["gbm", "geometric-ou"])
def test_bad_data_is_rejected_naming_rows(name) -> None:
    data = orthant_gmm_2d(50, torch.Generator().manual_seed(0))
    data[[4, 17], 1] = torch.tensor([0.0, -3.0])
    get_process(name).make(data, get_process(name).params)  # must not fail: validated after
    with pytest.raises(SupportError, match=r"2 row\(s\): 4, 17"):
        build(name, data)


def test_unknown_options_are_named() -> None:
    data = orthant_gmm_2d(50, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="geometric, constant"):
        build("gbm", data, {"schedule": "cosine"})
    with pytest.raises(ValueError, match="log-eps"):
        build("gbm", data, {"weighting": "eps"})


@pytest.mark.parametrize("name", ["gbm", "geometric-ou"])
def test_the_straight_path_loss_in_log_coordinates(name) -> None:
    data = orthant_gmm_2d(500, torch.Generator().manual_seed(0))
    params = {"hidden": 16, "depth": 1, "parameterisation": "velocity", "weighting": "straight"}
    built = build(name, data, params)
    assert isinstance(built.model, VelocityParam) and built.loss.weighting is straight_weighting
    assert isinstance(built.loss.times, StraightPathTimes)
    assert torch.isfinite(built.loss(built.model, data, torch.Generator().manual_seed(1)))


def test_rows_off_the_orthant_are_named_as_the_data_number_them():
    """From the review: the log-moments of the positive rows were checked again, so a row of
    1e20 was named by its place among those rows (3, not 5) and rows 0 and 1 not at all."""
    from dmm.spaces import SupportError

    data = torch.rand(50, 2, generator=torch.Generator().manual_seed(0)) + 0.5
    data[0, 0], data[1, 1], data[5, 1] = -1.0, -2.0, 1e20
    with pytest.raises(SupportError, match=r"in 3 row\(s\): 0, 1, 5 "):
        build("gbm", data, {"hidden": 8})


@pytest.mark.parametrize("name", ["gbm", "geometric-ou"])
def test_a_constant_column_is_noted_for_positive_processes(name):
    """vp and levy-ou noted a column with one value; gbm and geometric-ou said nothing, while
    their samples spread about it by float rounding, which a classifier tells apart (C2ST AUC
    0.97 with the column, 0.59 without)."""
    from dmm.cli.catalog import build

    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g) + 0.5
    x[:, 1] = 3.0
    (note,) = [n for n in build(name, x, {"hidden": 8, "depth": 1}).notes if "every row" in n]
    assert "coordinate(s) 1 = 3" in note and "standardising" not in note
    assert not any("every row" in n for n in build(name, x[:, :1], {"hidden": 8}).notes)
