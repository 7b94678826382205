"""Registry entries of the chain processes: build, model, loss, samplers and evaluate from names."""

import numpy as np
import pytest
import torch

from dmm.processes.chains import AbsorbingChain, ChainProcess, OrdinalChain, UniformChain
from dmm.registry import get_process
from dmm.reversal import Reversal
from dmm.samplers import simulate
from dmm.scores.ratios import DirectRatios, MeanRatios
from dmm.spaces import SupportError


@pytest.mark.parametrize(
    "name, cls",
    [("uniform", UniformChain), ("absorbing", AbsorbingChain), ("ordinal", OrdinalChain)],
)
def test_build_train_step_sample_evaluate(name, cls):
    spec = get_process(name)
    data = torch.randint(0, 5, (64, 3), generator=torch.Generator().manual_seed(0))
    params = spec.with_params({})
    process = spec.build(data, params)
    assert isinstance(process, cls) and process.S == 5 and process.d == 3
    model = spec.model(process, params, 0)
    assert isinstance(model, MeanRatios)
    loss = spec.loss(process, params)(model, data, torch.Generator().manual_seed(1))
    loss.backward()
    for sname, factory in spec.samplers.items():
        if sname == "exact":
            continue
        x = simulate(
            Reversal(process, model),
            factory(params),
            8,
            steps=4,
            generator=torch.Generator().manual_seed(2),
            denoise=True,
        )
        assert x.shape == (8, 3) and x.max() < 5
    res = spec.evaluate(process, model, data)
    assert res["nll_bound_bits_per_dim"] > 0
    with pytest.raises(SupportError, match="non-integer"):
        spec.evaluate(process, model, data.float() + 0.5)


def test_transformer_for_long_data_and_direct_ratios():
    spec = get_process("uniform")
    params = spec.with_params({"parameterisation": "ratio"})
    process = spec.build(torch.zeros(4, 16, dtype=torch.long) + 2, params)
    model = spec.model(process, params, 10)
    assert isinstance(model, DirectRatios)
    assert type(model.net).__name__ == "Transformer"


def test_user_rate_matrix(tmp_path):
    R = np.array([[0.0, 1.0, 0.5], [0.2, 0.0, 0.3], [1.0, 1.0, 0.0]])
    np.save(tmp_path / "R.npy", R)
    spec = get_process("chain")
    process = spec.build(
        torch.zeros(4, 2, dtype=torch.long),
        spec.with_params({"rate_matrix": str(tmp_path / "R.npy")}),
    )
    assert isinstance(process, ChainProcess) and process.S == 3
    with pytest.raises(ValueError, match="rate_matrix"):
        spec.build(torch.zeros(4, 2, dtype=torch.long), spec.with_params({}))
