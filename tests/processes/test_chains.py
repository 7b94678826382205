"""Forward chains: kernels against the matrix exponential, the joint Kolmogorov equation, exact
sampling of the kernel, the reference law and the terminal KL (MATH.md §1, §6, §9)."""

import math

import pytest
import torch

from dmm.metrics.chain_oracle import ExactChain
from dmm.processes.chains import (
    AbsorbingChain,
    AbsorbingRates,
    ChainProcess,
    OrdinalChain,
    UniformChain,
    UniformRates,
)
from dmm.processes.rate_matrices import check_rate_matrix, ordinal_rate_matrix, spectral_gap
from dmm.testing import check_process


def random_rate_matrix(n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, n, generator=g, dtype=torch.float64) * 2


PROCESSES = {
    "uniform": lambda: UniformChain(2, 3),
    "absorbing": lambda: AbsorbingChain(2, 3),
    "ordinal": lambda: OrdinalChain(2, 4),
    "ordinal-gauss": lambda: OrdinalChain(2, 5, kind="gaussian"),
    "general": lambda: ChainProcess(random_rate_matrix(3), 2),
}


@pytest.mark.parametrize("name", PROCESSES)
def test_kernels_match_matrix_exponential(name):
    # closed forms / eigendecompositions against torch.linalg.matrix_exp, also for negative B
    # (the Tweedie step uses exp(-ΔB R)); float64 round-off only, tolerance 1e-9.
    p = PROCESSES[name]()
    g = torch.Generator().manual_seed(1)
    for b in (torch.tensor([0.05, 0.7, 3.0]), -torch.tensor([0.05, 0.3, 0.5])):
        ref = torch.linalg.matrix_exp(b[:, None, None].double() * p.chain.rate_matrix)
        assert torch.allclose(p.chain.transition_matrix(b), ref, atol=1e-9)
        v = torch.rand(3, 2, p.n_states, generator=g, dtype=torch.float64)
        assert torch.allclose(p.chain.kernel_apply(v, b), v @ ref, atol=1e-9)
        y = torch.randint(0, p.n_states, (3, 2), generator=g)
        col = torch.stack([ref[k][:, y[k]].T for k in range(3)]).to(torch.get_default_dtype())
        assert torch.allclose(p.chain.kernel_column(y, b), col, atol=1e-6)


@pytest.mark.parametrize("name", PROCESSES)
def test_joint_kolmogorov_forward_equation(name):
    # d/dt p_t = p_t Q_t on the joint space: central difference of exact marginals against the
    # generator matrix built from block_generator (O(h²) error, h = 1e-4: tolerance 1e-5 relative).
    p = PROCESSES[name]()
    ex = ExactChain(p, torch.rand(p.S**p.d, generator=torch.Generator().manual_seed(2)))
    t, h = 0.37, 1e-4
    dp = (ex.marginal(torch.tensor([t + h]))[0] - ex.marginal(torch.tensor([t - h]))[0]) / (2 * h)
    states = ex.states
    Q = torch.zeros(len(states), len(states), dtype=torch.float64)
    for k in range(len(states)):  # column k: L applied to the indicator of state k

        def ind(z, k=k):
            return (z == states[k]).all(1).double()

        Q[:, k] = p.generator_apply(ind, states, torch.full((len(states),), t)).double()
    pq = ex.marginal(torch.tensor([t]))[0] @ Q
    assert torch.allclose(dp, pq, atol=1e-5 * pq.abs().max().item() + 1e-9)
    # rows sum to 0 up to float32 round-off of the rates (generator_apply works in the default
    # dtype)
    assert Q.sum(1).abs().max() < 1e-6 * Q.abs().max()


@pytest.mark.parametrize("name", ["uniform", "absorbing", "ordinal"])
def test_sample_transition_chi_square(name):
    # 40000 exact kernel draws against p_{t|0}: Pearson χ² below the 0.999 quantile (failure budget
    # 1e-3 for a correct sampler, fixed seed); a 5% error in the kernel fails it by far.
    p = PROCESSES[name]()
    n = 40000
    x0 = torch.tensor([[1, 2]]).expand(n, 2)
    t = torch.full((n,), 0.4)
    x = p.sample_transition(x0, t, torch.Generator().manual_seed(3))
    probs = p.transition_probs(x0[:1], t[:1])[0].double()
    stat, dof = 0.0, 0
    for i in range(2):
        counts = torch.bincount(x[:, i], minlength=p.n_states).double()
        keep = probs[i] > 0
        stat += float(((counts[keep] - n * probs[i][keep]) ** 2 / (n * probs[i][keep])).sum())
        dof += int(keep.sum()) - 1
    assert stat < dof + 3.1 * math.sqrt(2 * dof) + 10


def test_reference_and_terminal_kl():
    # uniform chain: q is uniform and KL(α δ + (1-α)/S || U) has a closed form per coordinate
    p = UniformChain(3, 5)
    assert torch.allclose(p.reference.probs.double(), torch.full((5,), 0.2, dtype=torch.float64))
    a = math.exp(-p.chain.integral(torch.tensor(1.0, dtype=torch.float64)).item())
    hit, miss = a + (1 - a) / 5, (1 - a) / 5
    per = hit * math.log(hit * 5) + 4 * miss * math.log(miss * 5)
    kl = p.terminal_kl(torch.tensor([[0, 1, 4]]))
    assert kl.item() == pytest.approx(3 * per, rel=1e-5)
    # absorbing: q = (1-α_T) MASK + α_T uniform, so KL = α_T log S per coordinate
    q = AbsorbingChain(2, 4)
    aT = math.exp(-q.chain.integral(torch.tensor(1.0, dtype=torch.float64)).item())
    assert q.terminal_kl(torch.tensor([[3, 0]])).item() == pytest.approx(
        2 * aT * math.log(4), rel=1e-4
    )
    assert q.reference.probs[-1].item() == pytest.approx(1 - aT, rel=1e-6)


def test_rate_matrices():
    R = ordinal_rate_matrix(6)
    assert spectral_gap(R) == pytest.approx(1.0, rel=1e-9)
    assert torch.allclose(R.sum(1), torch.zeros(6, dtype=torch.float64), atol=1e-12)
    assert (R[0, 2:] == 0).all()  # nearest neighbour only
    with pytest.raises(ValueError, match="negative off-diagonal"):
        check_rate_matrix(torch.tensor([[0.0, -1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="square"):
        check_rate_matrix(torch.ones(2, 3))


@pytest.mark.parametrize("name", ["uniform", "absorbing", "ordinal"])
def test_check_process_suite(name):
    # the public check-suite: L1 = 0 and Dynkin pass; score-based checks say n/a (not skipped)
    p = PROCESSES[name]()
    res = check_process(p, torch.tensor([[0, 1], [2, 0]]), n=4000)
    assert any(not r.applicable and "diffusion" in r.detail for r in res)
    assert all(r.passed for r in res if r.applicable)


def test_a_schedule_undefined_up_to_T_is_refused():
    # the log-linear schedule is defined on [0, 1]; beyond it the kernel would be NaN
    with pytest.raises(ValueError, match="not defined on"):
        AbsorbingChain(2, 5, T=5.0)


@pytest.mark.parametrize("cls", [UniformRates, AbsorbingRates])
def test_closed_form_chains_rates_equal_the_dense_matrix_and_cost_no_s_squared(cls):
    """``uniform`` with S=20000 built and eigendecomposed a dense S×S matrix at construction
    (17 GB and minutes for two training steps); its rates and kernel are closed forms in S."""
    from dmm.processes.chains import Chain

    small = cls(5)
    dense = Chain(small.rate_matrix)
    y = torch.randint(0, small.n_states, (7, 3), generator=torch.Generator().manual_seed(0))
    if cls is UniformRates:
        y = y.clamp_max(4)
    torch.testing.assert_close(small.rates_into(y), dense.rates_into(y))
    torch.testing.assert_close(small.rates_out(y), dense.rates_out(y))
    big = cls(20000)
    y = torch.randint(0, 20000, (4, 3), generator=torch.Generator().manual_seed(1))
    p = torch.nn.functional.one_hot(y, big.n_states).double()
    out = big.kernel_apply(p, torch.tensor([0.5]))
    assert out.shape == (4, 3, big.n_states) and big.rates_into(y).shape == out.shape
    assert big._dense is None and big._spectrum is None  # no S×S matrix was made
