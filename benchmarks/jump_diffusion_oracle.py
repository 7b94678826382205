"""Which learned part limits the jump-diffusion of docs/extending.md: an exact oracle swaps them.

The process of ``examples/processes/jump_diffusion.py`` (``dX = -X dt + dW`` plus jumps at rate
``λ`` with law ``N(0, σ_J² I)``) started from ``8gaussians`` (8 components ``N(μ_k, s² I)``) has,
given the jump times ``τ_i ≤ t``, a Gaussian-mixture marginal; so

    p_t(x) = E_V (1/8) Σ_k N(x; e^{-t} μ_k, (e^{-2t} s² + (1 - e^{-2t})/2 + V) I),
    V = σ_J² Σ_i e^{-2(t - τ_i)},  #{τ_i} ~ Poisson(λ t),  τ_i ~ U(0, t),

which the oracle evaluates with ``M`` draws of ``V`` per time (a mixture of ``8M`` Gaussians;
exact as ``M → ∞``). Its score and ratios ``p_t(x)/p_t(y)`` replace the trained run's, one part
at a time, under the recipe's sampler:

* ``exact``: both parts exact (the sampler's own error);
* ``learned-score``: the run's score, exact ratios;
* ``learned-ratio``: exact score, the run's ratios;
* ``learned``: the run as trained;

and the run's score is compared with the exact one on draws of ``p_t``: the relative error
``E|s_θ - s|² / E|s|²`` and the regression slope ``E s_θ·s / E|s|²`` (1 when right, below 1 for a
shrunken score).

    python benchmarks/jump_diffusion_oracle.py RUN [--steps 200] [--modes exact,learned,...]
        [--json docs/results/jump_diffusion_oracle.json]

``RUN``: a run folder of the example trained on ``8gaussians``, e.g. the one
``benchmarks/user_processes.py --out runs/user`` leaves in ``runs/user/jump_diffusion``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
from torch import nn

from dmm.cli.config import writable_file
from dmm.cli.rundir import load_run, sampler_for
from dmm.data import load_data
from dmm.data.toy2d import EIGHT_GAUSSIANS_RADIUS, EIGHT_GAUSSIANS_STD
from dmm.metrics import c2st_auc, energy_distance
from dmm.processes import Jumps
from dmm.reversal import Reversal
from dmm.samplers.base import simulate
from dmm.testing import GaussianMixture

N = 2000
MODES = ("exact", "learned-score", "learned-ratio", "learned")
TIMES = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


class Oracle(nn.Module):
    """``p_t`` of the module doc as a :class:`~dmm.testing.GaussianMixture` of ``8M`` components
    per time (exact log-density and score); ``log_ratio`` by difference."""

    antisymmetric = True

    def __init__(self, rate: float, sigma_jump: float, draws: int = 128) -> None:
        super().__init__()
        angle = torch.arange(8, dtype=torch.float64) * math.pi / 4
        self.mu = EIGHT_GAUSSIANS_RADIUS * torch.stack([angle.cos(), angle.sin()], 1)
        self.rate, self.sj2, self.draws = rate, sigma_jump**2, draws
        self._p: dict[float, GaussianMixture] = {}

    def marginal(self, t: torch.Tensor) -> GaussianMixture:
        s = float(t[0])
        if s not in self._p:  # jump times seeded by t: the same oracle at every call
            g = torch.Generator().manual_seed(int(s * 1e9) % 2**31)
            counts = torch.poisson(torch.full((self.draws,), self.rate * s), generator=g)
            v = torch.stack([
                self.sj2 * torch.exp(-2 * s * (1 - torch.rand(int(c), generator=g))).sum()
                for c in counts.long().tolist()
            ]).double()  # fmt: skip
            base = math.exp(-2 * s) * EIGHT_GAUSSIANS_STD**2 + (1 - math.exp(-2 * s)) / 2
            means = (math.exp(-s) * self.mu).repeat_interleave(self.draws, 0)
            self._p[s] = GaussianMixture(torch.ones(len(means)), means, (base + v).repeat(8))
        return self._p[s]

    def score(self, y, t, context=None):
        return self.marginal(t).score(y.double()).to(y.dtype)

    def log_ratio(self, y, x, t, context=None):
        p = self.marginal(t)
        return (p.log_prob(x.double()) - p.log_prob(y.double())).to(y.dtype)


class Swap(nn.Module):
    """The score from one model, the jump ratios from another."""

    antisymmetric = True

    def __init__(self, score_from: nn.Module, ratio_from: nn.Module) -> None:
        super().__init__()
        self.score_from, self.ratio_from = score_from, ratio_from

    def score(self, y, t, context=None):
        return self.score_from.score(y, t, context)

    def log_ratio(self, y, x, t, context=None):
        return self.ratio_from.log_ratio(y, x, t, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    run = load_run(args.run)
    p, learned = run.process, run.model
    jumps = p.block(Jumps)
    oracle = Oracle(float(jumps.jump_rate(torch.zeros(1))), jumps.law.sigma)
    _, sampler = sampler_for(run, None)

    g = torch.Generator().manual_seed(3)
    fisher = {}
    for t in TIMES:
        x0 = load_data("8gaussians", N, g)
        tt = torch.full((N,), t)
        xt = p.sample_marginal(x0, tt, g)
        exact = oracle.score(xt, tt).double()
        with torch.no_grad():
            got = learned.score(xt, tt).double()
        fisher[str(t)] = {
            "relative_error": float(((got - exact) ** 2).sum() / (exact**2).sum()),
            "slope": float((got * exact).sum() / (exact**2).sum()),
        }
        print(f"score at t={t}: {fisher[str(t)]}", flush=True)

    gt = torch.Generator().manual_seed(12345)
    test = load_data("8gaussians", N, gt)
    floor = sum(energy_distance(load_data("8gaussians", N, gt), test, unbiased=False)
                for _ in range(4)) / 4  # fmt: skip
    models = {
        "exact": oracle,
        "learned-score": Swap(learned, oracle),
        "learned-ratio": Swap(oracle, learned),
        "learned": learned,
    }
    samples = {}
    for mode in args.modes.split(","):
        start = time.time()
        x = simulate(Reversal(p, models[mode]), sampler, N, args.steps,
                     torch.Generator().manual_seed(1))  # fmt: skip
        ed = energy_distance(x, test, unbiased=False)
        samples[mode] = {
            "energy_ratio": ed / floor,
            "c2st_auc": c2st_auc(x, test),
            "seconds": round(time.time() - start),
        }
        print(f"{mode}: {samples[mode]}", flush=True)
    if args.json:
        out = {
            "run": str(args.run),
            "steps": args.steps,
            "n": N,
            "oracle_draws": oracle.draws,
            "score": fisher,
            "samples": samples,
            "command": "python " + " ".join(sys.argv),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
