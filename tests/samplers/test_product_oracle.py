"""Exact oracle for products (MATH.md §10): with the exact joint score and ratios, the split sampler
reproduces the joint law of a Gaussian-mixture factor beside a chain whose category shifts the mean."""

import pytest
import torch

from dmm.metrics import energy_distance
from dmm.metrics.chains import total_variation
from dmm.processes import VP, AbsorbingChain, UniformChain, product
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, TweedieStep, simulate
from dmm.samplers.product import ProductSampler
from dmm.testing.product_oracle import ProductMixture

N = 3000
MEANS = torch.tensor([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])


def _oracle(chain):
    p = product(VP(2), chain)
    return p, ProductMixture(
        p, torch.tensor([0.3, 0.3, 0.4]), MEANS, torch.tensor([0.1, 0.2, 0.15])
    )


def _counts(c: torch.Tensor, S: int) -> torch.Tensor:
    return torch.bincount(c.long(), minlength=S).double() / c.numel()


@pytest.mark.parametrize("simultaneous", [False, True], ids=["split", "simultaneous"])
@pytest.mark.parametrize(
    "chain", [UniformChain(1, 3), AbsorbingChain(1, 3)], ids=["uniform", "absorbing"]
)
def test_split_sampler_with_exact_coordinates_reproduces_the_joint_law(chain, simultaneous):
    p, oracle = _oracle(chain)
    g = torch.Generator().manual_seed(0)
    x0 = oracle.sample(N, g)
    t_end = torch.full((N,), p.t_min)
    exact = p.sample_transition(x0, t_end, g)  # exact draws of p_{t_min}
    sampler = ProductSampler(EulerMaruyama(), TweedieStep(), simultaneous=simultaneous)
    rows = simulate(Reversal(p, oracle), sampler, N, 800, g)
    assert rows.shape == (N, 3)
    x, c = rows[:, :2], rows[:, 2]
    ex, ec = exact[:, :2], exact[:, 2]
    # chain part: TV between two samples of size N over 3 (+MASK) values is ~0.01 at this N; a
    # sampler that ignored the coupling or the ratios misses the weights by > 0.05
    assert total_variation(_counts(c, 4), _counts(ec, 4)) < 0.035
    # dependence: per category, the mean of the real part (std of the mean ≤ 0.45/sqrt(1200) ≈
    # 0.013; tolerance 0.08, six standard errors; the category means are 2-4 apart)
    for k in range(3):
        got, want = x[c == k].mean(0), ex[ec == k].mean(0)
        assert (got - want).abs().max() < 0.08, (k, got, want)
        assert (x[c == k].std(0) - ex[ec == k].std(0)).abs().max() < 0.08
    # continuous part: energy distance within 3x the noise floor (two independent exact samples,
    # averaged over 4 draws: one draw fluctuates by a factor 2-3)
    fresh = [p.sample_transition(oracle.sample(N, g), t_end, g)[:, :2] for _ in range(4)]
    floor = sum(energy_distance(f, ex, unbiased=False) for f in fresh) / 4
    assert energy_distance(x, ex, unbiased=False) < 3 * floor


def test_product_loss_is_smallest_at_the_exact_coordinates():
    # the loss equals the path KL up to a θ-free constant, so with common random numbers the exact
    # model must score lower than a perturbed one, by many standard errors
    from dmm.recipe import default_loss

    p, oracle = _oracle(UniformChain(1, 3))
    loss = default_loss(p)

    class Perturbed:
        def view(self, k):
            base = oracle.view(k)
            if k == 0:
                return type("S", (), {"score": lambda s, y, t, c=None: base.score(y, t, c) + 0.3})()
            return type(
                "R",
                (),
                {"log_ratios": lambda s, y, t, c=None: base.log_ratios(y, t, c) * 1.3},
            )()

    x0 = oracle.sample(4000, torch.Generator().manual_seed(1))
    exact = loss.per_sample(oracle, x0, torch.Generator().manual_seed(2))
    off = loss.per_sample(Perturbed(), x0, torch.Generator().manual_seed(2))
    diff = (off - exact).double()
    assert diff.mean() > 5 * diff.std() / diff.numel() ** 0.5


def test_a_chain_step_that_ignores_the_other_factor_loses_the_dependence():
    # the same check fails when the chain's ratios read a shuffled real part: the categories no
    # longer shift the means (each category's mean moves towards the overall mean, by > 0.5)
    p, oracle = _oracle(UniformChain(1, 3))

    class Shuffled:
        def view(self, k):
            base = oracle.view(k)
            if k == 0:
                return base
            perm = torch.randperm(N // 3, generator=torch.Generator().manual_seed(3))
            return type("R", (), {"ratios": lambda s, y, t, c=None: base.ratios(y, t, c[perm])})()

    g = torch.Generator().manual_seed(0)
    rows = simulate(
        Reversal(p, Shuffled()), ProductSampler(EulerMaruyama(), TweedieStep()), N // 3, 200, g
    )
    x, c = rows[:, :2], rows[:, 2]
    worst = max((x[c == k].mean(0) - MEANS[k]).abs().max().item() for k in range(3))
    assert worst > 0.5


def test_a_simultaneous_step_reads_one_network_evaluation():
    from dmm.recipe import default_model

    p = product(VP(2), AbsorbingChain(1, 3), UniformChain(2, 4))
    model = default_model(p, hidden=16, depth=1)
    calls = []
    model.net.register_forward_hook(lambda *args: calls.append(1))
    g = torch.Generator().manual_seed(0)
    for simultaneous, per_step in ((False, 3), (True, 1)):
        sampler = ProductSampler(
            EulerMaruyama(), TweedieStep(), TweedieStep(), simultaneous=simultaneous
        )
        assert sampler.nfe_per_step == per_step
        calls.clear()
        with torch.no_grad():
            simulate(Reversal(p, model), sampler, 5, 4, g, denoise=True)
        assert len(calls) == 4 * per_step + 1  # and one for the final denoising step
