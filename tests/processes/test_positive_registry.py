"""The ``gbm`` and ``geometric-ou`` registry entries build working objects from data."""

from __future__ import annotations

import pytest
import torch

from dmm.data import orthant_gmm_2d
from dmm.losses import DenoisingScoreMatching, kl_weighting
from dmm.processes import GBM, GeometricOU
from dmm.registry import get_process
from dmm.scores.log_coordinates import LogScoreParam
from dmm.spaces import SupportError


@pytest.mark.parametrize("name,cls", [("gbm", GBM), ("geometric-ou", GeometricOU)])
def test_registry_builds_log_score_model_and_kl_dsm(name, cls) -> None:
    data = orthant_gmm_2d(500, torch.Generator().manual_seed(0))
    spec = get_process(name)
    params = spec.with_params({"hidden": 16, "depth": 1})
    process = spec.build(data, params)
    assert isinstance(process, cls)
    model = spec.model(process, params, 0)
    assert isinstance(model, LogScoreParam)
    loss = spec.loss(process, params)
    assert isinstance(loss, DenoisingScoreMatching) and loss.weighting is kl_weighting
    assert torch.isfinite(loss(model, data, torch.Generator().manual_seed(1)))
    assert "pc" not in spec.samplers and spec.default_sampler == "em"
    # the reference has the data's log-moments (geometric-ou) / those of log X_T (gbm)
    z = torch.log(data)
    torch.testing.assert_close(process.space.log_loc, z.mean(0))
    assert process.terminal_kl(data).mean() < 0.05


@pytest.mark.parametrize("name", ["gbm", "geometric-ou"])
def test_bad_data_is_rejected_naming_rows(name) -> None:
    data = orthant_gmm_2d(50, torch.Generator().manual_seed(0))
    data[[4, 17], 1] = torch.tensor([0.0, -3.0])
    spec = get_process(name)
    process = spec.build(data, spec.params)  # must not fail: validation comes after
    with pytest.raises(SupportError, match=r"2 row\(s\): 4, 17"):
        process.space.validate(data)


def test_unknown_options_are_named() -> None:
    data = orthant_gmm_2d(50, torch.Generator().manual_seed(0))
    spec = get_process("gbm")
    with pytest.raises(ValueError, match="geometric, constant"):
        spec.build(data, spec.with_params({"schedule": "cosine"}))
    with pytest.raises(ValueError, match="log-eps"):
        spec.loss(spec.build(data, spec.params), spec.with_params({"weighting": "eps"}))
