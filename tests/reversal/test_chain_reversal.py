"""Backward chain block (MATH.md §2, §9): with the exact ratios, ←Q is the time reversal of Q on the
joint space, for every rate matrix, and the continuous-time backward model carries p_T to
p_{t_min}."""

import pytest
import torch

from dmm.metrics.chain_oracle import ExactChain
from dmm.metrics.chains import total_variation
from dmm.processes.chains import AbsorbingChain, ChainProcess, OrdinalChain, UniformChain
from dmm.reversal import Reversal, backward_generator_apply, backward_rates

PROCESSES = {
    "uniform": lambda: UniformChain(2, 3),
    "absorbing": lambda: AbsorbingChain(2, 3),
    "ordinal": lambda: OrdinalChain(2, 4),
    "general": lambda: ChainProcess(
        torch.rand(3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64), 2
    ),
}


def oracle(p):
    return ExactChain(p, torch.rand(p.S**p.d, generator=torch.Generator().manual_seed(4)))


def forward_matrix(p, states, t):
    Q = torch.zeros(len(states), len(states), dtype=torch.float64)
    for k in range(len(states)):

        def ind(z, k=k):
            return (z == states[k]).all(1).double()

        Q[:, k] = p.generator_apply(ind, states, torch.full((len(states),), t)).double()
    return Q


@pytest.mark.parametrize("name", PROCESSES)
@pytest.mark.parametrize("t", [0.05, 0.5, 0.95])
def test_exact_backward_rates_are_the_time_reversal(name, t):
    # p_t(y) ←Q(y, x) = p_t(x) Q_t(x, y) for all pairs x ≠ y (MATH.md §2, chains). Float32 ratios:
    # relative tolerance 1e-5 of the largest flux.
    p = PROCESSES[name]()
    ex = oracle(p)
    rev = Reversal(p, ex.model())
    G = ex.generator_matrix(rev, t)
    Q = forward_matrix(p, ex.states, t)
    pt = ex.marginal(torch.tensor([t]))[0]
    back_flux, fwd_flux = pt[:, None] * G, (pt[:, None] * Q).T
    off = ~torch.eye(len(pt), dtype=torch.bool)
    scale = fwd_flux[off].abs().max()
    assert (back_flux[off] - fwd_flux[off]).abs().max() <= 1e-5 * scale


@pytest.mark.parametrize("name", PROCESSES)
def test_backward_generator_apply_matches_matrix(name):
    # the neighbour loop (←L f)(y) equals the joint generator matrix applied to f
    p = PROCESSES[name]()
    ex = oracle(p)
    rev = Reversal(p, ex.model())
    f_vals = torch.randn(
        len(ex.states), generator=torch.Generator().manual_seed(5), dtype=torch.float64
    )

    def f(z):
        from dmm.metrics.chain_oracle import joint_index

        return f_vals[joint_index(z, p.n_states)]

    t = torch.full((len(ex.states),), 0.3)
    lf = backward_generator_apply(rev, f, ex.states, t).double()
    assert torch.allclose(lf, ex.generator_matrix(rev, 0.3) @ f_vals, rtol=1e-4, atol=1e-4)
    rates = backward_rates(rev, ex.states, t)
    assert (rates >= 0).all()
    assert (rates.gather(-1, ex.states[..., None]) == 0).all()


@pytest.mark.parametrize("name", ["uniform", "absorbing", "ordinal"])
def test_backward_kolmogorov_carries_pT_to_pt_min(name):
    # integrating the exact backward generator from p_T gives p_{t_min} (exponential midpoint rule,
    # 1500 steps); TV < 2e-3 bounds the integrator's error, which the sampler tests rely on.
    p = PROCESSES[name]()
    ex = oracle(p)
    rev = Reversal(p, ex.model())
    law = ex.model_law(rev, ex.marginal(torch.tensor([p.T]))[0], steps=1500)
    assert total_variation(law, ex.marginal(torch.tensor([p.t_min]))[0]) < 2e-3
