"""The simulated latent kernel (the last diffusion step of the simulation is Gaussian given what came
before), checked on an Ornstein–Uhlenbeck process declared without its kernel."""

import torch

from dmm.losses import LatentScoreMatching
from dmm.processes import Diffusion, Process
from dmm.processes.latent import SimulatedLatentKernel
from dmm.spaces import Euclidean


def _ou():
    # dX = -X dt + √2 dW, declared only by its blocks: p_t = N(e^{-t} μ, e^{-2t} s0² + 1 - e^{-2t})
    return Process(Euclidean(2), blocks=(Diffusion(lambda x, t: -x, lambda x, t: 2**0.5),))


class Score(torch.nn.Module):
    """The exact score of p_t for p_0 = N(μ, s0² I) under the OU process, plus a constant shift."""

    def __init__(self, mu, s0, shift=0.0):
        super().__init__()
        self.mu, self.s0, self.shift = mu, s0, shift

    def score(self, y, t, context=None):
        a = torch.exp(-t)[:, None]
        var = a**2 * self.s0**2 + 1 - a**2
        return -(y - a * self.mu) / var + self.shift


def test_the_latent_mixture_has_the_simulated_marginal():
    p = _ou()
    kernel = SimulatedLatentKernel(p)
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((40000, 2), 1.5)
    t = torch.full((40000,), 0.8)
    xt, latent, atom = kernel.sample_latent(x0, t, g)
    assert not atom.any() and latent.shape == (40000, 4)
    # mean e^{-0.8}·1.5 = 0.674, variance 1 - e^{-1.6} = 0.798, up to the coarse last step (κ = 1/4:
    # its Euler variance 2δ against 1 - e^{-2δ} over δ = 0.2 adds about 0.05)
    assert (xt.mean(0) - 0.674).abs().max() < 0.03
    assert (xt.var(0) - 0.798).abs().max() < 0.08


def test_latent_score_matching_on_the_simulation_measures_the_score_error():
    # E[ℓ(s + c) - ℓ(s)] = ½ |c|² D per unit time when s is the score of the (simulated) marginal:
    # here 0.5 · 2 · (0.3² · 2) = 0.18. The simulation differs from the exact OU by its coarse last
    # step, so the exact score is only nearly the minimiser: tolerance 10% (plus 4 standard errors)
    p = _ou()
    mean, se = _shift_excess(LatentScoreMatching(p, kernel=SimulatedLatentKernel(p)))
    assert abs(mean - 0.18) < 0.018 + 4 * se, (mean, se)


def _shift_excess(loss) -> tuple[float, float]:
    """Mean and standard error of ``ℓ(s + c) - ℓ(s)`` for Gaussian data, ``s`` its exact score
    under the OU, ``c = 0.3`` (common random numbers)."""
    mu = torch.tensor([1.0, -0.5])
    x0 = mu + 0.5 * torch.randn(20000, 2, generator=torch.Generator().manual_seed(1))
    a = loss.per_sample(Score(mu, 0.5, 0.3), x0, torch.Generator().manual_seed(2))
    b = loss.per_sample(Score(mu, 0.5), x0, torch.Generator().manual_seed(2))
    diff = (a - b).double()
    return diff.mean().item(), diff.std().item() / diff.numel() ** 0.5


def test_time_scaled_weighting_rescales_the_kl_weighting_and_keeps_the_minimiser():
    # λ = D·c(t) reads only t (and x_t): the same per-sample minimiser, so the shift test above gives
    # E[ℓ(s + c) - ℓ(s)] = ½ |c|² D E[c(t)] = 0.18 · E[t] = 0.09 for c(t) = t, t ~ U(0.001, 1)
    from dmm.losses import kl_weighting, time_scaled_weighting

    p = _ou()
    w = time_scaled_weighting(lambda t: t)
    x, t = torch.randn(3, 2), torch.tensor([0.1, 0.5, 1.0])
    assert torch.allclose(w(p, x, t), kl_weighting(p, x, t) * t[:, None])
    mean, se = _shift_excess(LatentScoreMatching(p, w, kernel=SimulatedLatentKernel(p)))
    assert abs(mean - 0.09) < 0.009 + 4 * se, (mean, se)
