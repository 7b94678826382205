"""Network evaluations: each sampler's declared ``nfe(steps)`` equals the model calls it makes."""

import pytest
import torch

from dmm.processes import VP
from dmm.reversal import Reversal
from dmm.samplers import (
    DPMSolver1,
    DPMSolver2M,
    EulerMaruyama,
    ExactChainSampler,
    FlowEuler,
    FlowHeun,
    Inpaint,
    PredictorCorrector,
    Sampler,
    UniPC,
    simulate,
)
from dmm.testing import ExactScore, standard_mixture


class Counting(ExactScore):
    calls = 0

    def score(self, y, t, context=None):
        self.calls += 1
        return super().score(y, t, context)


@pytest.mark.parametrize(
    "sampler, per_step",
    [
        (EulerMaruyama(), 1),
        (PredictorCorrector(), 2),
        (PredictorCorrector(n_corrector=3), 4),
        (FlowEuler(), 1),
        (FlowHeun(), 2),
        (DPMSolver1(), 1),
        (DPMSolver2M(), 1),
        (UniPC(), 1),
        (UniPC(order=3), 1),
        (Inpaint(FlowHeun(), torch.zeros(2, dtype=torch.bool), torch.zeros(2)), 2),
    ],
    ids=["em", "pc", "pc3", "euler", "heun", "dpm1", "dpm2", "unipc", "unipc3", "inpaint-heun"],
)
def test_declared_count_is_the_model_calls(sampler, per_step):
    process = VP(2)
    model = Counting(process, standard_mixture())
    simulate(Reversal(process, model), sampler, 16, 7, torch.Generator().manual_seed(0))
    assert sampler.nfe_per_step == per_step
    assert model.calls == sampler.nfe(7) == 7 * per_step


def test_steps_for_a_budget():
    assert FlowHeun().steps_for(10) == 5 and FlowHeun().steps_for(11) == 5
    assert DPMSolver2M().steps_for(10) == 10 and PredictorCorrector().steps_for(3) == 1
    with pytest.raises(ValueError, match="fewer than one step"):
        FlowHeun().steps_for(1)
    with pytest.raises(ValueError, match="no fixed number"):
        ExactChainSampler().steps_for(100)
    assert ExactChainSampler().nfe(10) is None and Sampler().nfe(3) is None


def test_composite_samplers_start_their_parts():
    # a multistep part must forget its previous run when the composite starts a new one
    from dmm.samplers import Splitting
    from dmm.samplers.product import ProductSampler

    for make in (
        Splitting,
        ProductSampler,
        lambda s: Inpaint(s, torch.ones(1, 1), torch.zeros(1, 1)),
    ):
        part = DPMSolver2M()
        part._previous = ("stale",)
        make(part).start(None, torch.linspace(1.0, 0.001, 3))
        assert part._previous is None


def test_composite_samplers_are_multistep_when_a_part_is():
    # a fitted grid (dmm.samplers.fitted_grid) refuses multistep samplers: composites say so too
    from dmm.samplers import Splitting
    from dmm.samplers.product import ProductSampler

    for make in (
        Splitting,
        ProductSampler,
        lambda s: Inpaint(s, torch.ones(1, 1), torch.zeros(1, 1)),
    ):
        assert make(DPMSolver2M()).multistep and make(UniPC()).multistep
        assert not make(FlowHeun()).multistep and not make(EulerMaruyama()).multistep
