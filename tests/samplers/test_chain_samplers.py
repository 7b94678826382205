"""Chain samplers against exact joint laws (MATH.md §7, §9)."""

import math

import pytest
import torch

from dmm.metrics.chain_oracle import ExactChain
from dmm.metrics.chains import empirical_pmf, total_variation
from dmm.processes import VP, MissingCapability
from dmm.processes.chains import AbsorbingChain, OrdinalChain, UniformChain
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate
from dmm.samplers.base import time_grid
from dmm.samplers.chains import (
    ChainEuler,
    ExactChainSampler,
    TauLeaping,
    TweedieStep,
    sample_denoised,
)
from dmm.samplers.inpaint import Inpaint

PROCESSES = {
    "uniform": lambda: UniformChain(2, 3),
    "absorbing": lambda: AbsorbingChain(2, 3),
    "ordinal": lambda: OrdinalChain(2, 3),
}


def setup(name, seed=12):
    p = PROCESSES[name]()
    ex = ExactChain(p, torch.rand(p.S**p.d, generator=torch.Generator().manual_seed(seed)) + 0.2)
    return p, ex, Reversal(p, ex.model())


def mc_floor(pmf, n, reps=20, seed=0):
    """Mean TV between ``pmf`` and the empirical pmf of ``n`` iid draws (the Monte Carlo floor)."""
    g = torch.Generator().manual_seed(seed)
    tvs = [
        total_variation(
            torch.bincount(
                torch.multinomial(pmf.float(), n, True, generator=g), minlength=len(pmf)
            ).double()
            / n,
            pmf,
        )
        for _ in range(reps)
    ]
    return sum(tvs) / reps


@pytest.mark.parametrize("name", ["uniform", "absorbing"])
def test_exact_sampler_with_exact_ratios_reproduces_p0(name):
    # thinning sampler + exact ratios from q, then the sampled final denoising: the law is p0 up to
    # the terminal term (TV(p_T, q) <= sqrt(KL/2) ~ 1e-3 here). Tolerance: 2.5× the Monte Carlo
    # floor
    # of TV for n = 4000 plus that terminal bound; no rate-bound violations allowed.
    p, ex, rev = setup(name)
    n, g = 4000, torch.Generator().manual_seed(13)
    sampler = ExactChainSampler()
    y = simulate(rev, sampler, n, steps=16, generator=g)
    x = sample_denoised(rev, y, torch.full((n,), p.t_min), g)
    terminal = math.sqrt(0.5 * float(ex.p0_data @ p.terminal_kl(ex.data_states).double()))
    floor = mc_floor(ex.p0_data, n)
    assert sampler.violations == 0
    assert total_variation(empirical_pmf(x, p.S), ex.p0_data) < 2.5 * floor + terminal
    # before decoding, the law at t_min is the continuous-time model's law from q
    law = ex.model_law(rev, _q_joint(ex), steps=400)
    assert total_variation(empirical_pmf(y, p.n_states), law) < 2.5 * mc_floor(law, n) + 2e-3


def _q_joint(ex):
    q = ex.process.reference.probs64
    out = torch.ones(len(ex.states), dtype=torch.float64)
    for i in range(ex.states.shape[1]):
        out = out * q[ex.states[:, i]]
    return out


@pytest.mark.parametrize("name", ["uniform", "absorbing", "ordinal"])
def test_discretisation_error_shrinks_with_steps(name):
    # exact laws (no Monte Carlo) of Euler, τ-leaping and Tweedie on grids of 8 and 32 steps
    # against the continuous-time model's law: the error must drop by > 2.5× for Euler and τ-leaping
    # (first order: ~4× expected) and must not grow for Tweedie.
    p, ex, rev = setup(name)
    start = _q_joint(ex)
    ref = ex.model_law(rev, start, steps=400)
    for sampler, factor in ((ChainEuler(), 2.5), (TauLeaping(), 2.5), (TweedieStep(), 1.0)):
        errs = [
            total_variation(ex.sampler_law(rev, sampler, start, time_grid(p, k)), ref)
            for k in (8, 32)
        ]
        assert errs[1] * factor < errs[0] + 1e-4, (type(sampler).__name__, errs)


def test_inpainting_absorbing_with_exact_ratios_is_exact_conditional():
    # absorbing chain: a clamped (unmasked) coordinate is its own clean value, so the exact ratios
    # unmask the rest from p0(x_2 | x_1 = a): TV within 2.5× the Monte Carlo floor.
    p, ex, rev = setup("absorbing")
    n, g, a = 4000, torch.Generator().manual_seed(14), 2
    observed = torch.tensor([True, False])
    sampler = Inpaint(TweedieStep(), observed, torch.full((n, 2), a))
    y = simulate(rev, sampler, n, steps=64, generator=g, y_init=sampler.initial(p, n, g))
    x = sample_denoised(rev, y, torch.full((n,), p.t_min), g)
    assert (x[:, 0] == a).all()
    cond = ex.p0_data.reshape(p.S, p.S)[a]
    cond = cond / cond.sum()
    emp = torch.bincount(x[:, 1], minlength=p.S).double() / n
    assert total_variation(emp, cond) < 2.5 * mc_floor(cond, n)


def test_sampler_capabilities():
    with pytest.raises(MissingCapability, match="Chain"):
        ChainEuler().check(VP(2))
    with pytest.raises(MissingCapability, match="Diffusion"):
        EulerMaruyama().check(UniformChain(2, 3))
    with pytest.raises(ValueError, match="mode"):
        Inpaint(ChainEuler(), torch.tensor([True]), torch.tensor([[0]]), mode="nope")
