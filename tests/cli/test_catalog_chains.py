"""Catalogue entries of the chain processes: build, model, loss, samplers and evaluate from names."""

import numpy as np
import pytest
import torch

from dmm.cli.catalog import build
from dmm.cli.errors import UsageError
from dmm.processes.chains import AbsorbingChain, ChainProcess, OrdinalChain, UniformChain
from dmm.reversal import Reversal
from dmm.samplers import simulate
from dmm.scores.ratios import DirectRatios, MeanRatios
from dmm.spaces import SupportError


@pytest.mark.parametrize(
    "name, cls",
    [("uniform", UniformChain), ("absorbing", AbsorbingChain), ("ordinal", OrdinalChain)],
)
def test_build_train_step_sample_evaluate(name, cls):
    data = torch.randint(0, 5, (64, 3), generator=torch.Generator().manual_seed(0))
    built = build(name, data)
    process, model, spec = built.process, built.model, built.spec
    assert isinstance(process, cls) and process.S == 5 and process.d == 3
    assert isinstance(model, MeanRatios)
    loss = built.loss(model, data, torch.Generator().manual_seed(1))
    loss.backward()
    for sname in built.samplers:
        if sname == "exact":
            continue
        x = simulate(
            Reversal(process, model),
            built.sampler(sname),
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


def test_transformer_for_many_states_and_direct_ratios():
    # network=auto: the transformer above 512 states per coordinate (chains.AUTO_MLP_MAX_STATES)
    data = torch.zeros(4, 16, dtype=torch.long) + 2
    model = build("uniform", data, {"parameterisation": "ratio", "S": 600}, context_dim=10).model
    assert isinstance(model, DirectRatios)
    assert type(model.net).__name__ == "Transformer"


def test_user_rate_matrix(tmp_path):
    R = np.array([[0.0, 1.0, 0.5], [0.2, 0.0, 0.3], [1.0, 1.0, 0.0]])
    np.save(tmp_path / "R.npy", R)
    data = torch.zeros(4, 2, dtype=torch.long)
    process = build("chain", data, {"rate_matrix": str(tmp_path / "R.npy")}).process
    assert isinstance(process, ChainProcess) and process.S == 3
    with pytest.raises(UsageError, match="rate_matrix"):
        build("chain", data)


def test_a_chain_that_does_not_mix_is_noted_at_training(tmp_path, capsys):
    """A reducible rate matrix (two blocks {0,1}, {2,3}) never reaches its uniform reference:
    the note spoke of the data's scale."""
    import numpy as np

    from dmm.cli.main import main

    rates = np.zeros((4, 4))
    rates[0, 1] = rates[1, 0] = rates[2, 3] = rates[3, 2] = 1.0
    np.fill_diagonal(rates, -rates.sum(1))
    np.save(tmp_path / "R.npy", rates)
    np.save(tmp_path / "x.npy", np.random.default_rng(0).integers(0, 4, (200, 3)))
    argv = ["train", "--process", "chain", "--data", str(tmp_path / "x.npy"), "--set",
            f"rate_matrix={tmp_path / 'R.npy'}", "--out", str(tmp_path / "r"), "--steps", "2"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "a chain that does not mix to it" in out and "connects every state" in out


def test_s_read_from_codes_far_above_the_values_used_is_noted():
    """Years 2000..2020 as codes made 2021 states, silently: 87% of a short run's samples were
    codes the data never have."""
    from dmm.cli.catalog import build

    years = torch.randint(2000, 2021, (500, 2), generator=torch.Generator().manual_seed(0))
    built = build("uniform", years, {"hidden": 8, "depth": 1})
    (note,) = [n for n in built.notes if "states from the largest value" in n]
    assert "S=2021" in note and "21 of them in the data" in note and "recode" in note
    dense = torch.randint(0, 21, (500, 2), generator=torch.Generator().manual_seed(0))
    assert not any("largest value" in n for n in build("uniform", dense, {"hidden": 8}).notes)
    given = build("uniform", years, {"S": 2021, "hidden": 8, "depth": 1})
    assert not any("largest value" in n for n in given.notes)
