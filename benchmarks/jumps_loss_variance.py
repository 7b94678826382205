"""Standard error of the two §5d loss forms on the 1-D torus oracle, at the same sample size.

    python benchmarks/jumps_loss_variance.py --out docs/results/jumps_loss_variance.json

Data: the 3-component wrapped-normal mixture of :mod:`dmm.testing.jump_oracles`, whose ratios are
exact. For each model ``m`` (``log ρ*`` plus ``ε (h(x) - h(y))``, and the flat ``ρ ≡ 1``) it reports
the mean and standard error of the per-sample loss difference ``(T - t_min)(ℓ(m) - ℓ(ρ*))``
(common random numbers, 40 000 samples, 4 proposals) for the implicit and the denoising form, and
their ratio. Both means estimate the same path-KL difference (the tests check that against
quadrature); the standard errors say how much data each form needs.
"""

from __future__ import annotations

import argparse
import json

import torch
from torch import nn

from dmm.cli.config import writable_file
from dmm.losses import DenoisingJumpScoreEntropy, ImplicitScoreEntropy
from dmm.processes.torus_jump import TorusJump
from dmm.testing.jump_oracles import ExactTorusRatio, standard_torus_mixture

PROCESS = TorusJump(1)
MIX = standard_torus_mixture(1)
EXACT = ExactTorusRatio(PROCESS, MIX)


class Perturbed(nn.Module):
    """``log ρ = log ρ* + ε (h(x) - h(y))`` (``ε = 0``: the exact ratios; ``None``: ``ρ ≡ 1``)."""

    def __init__(self, eps: float | None) -> None:
        super().__init__()
        self.eps = eps

    def log_ratio(self, y, x, t, context=None):
        if self.eps is None:
            return torch.zeros(y.shape[0], dtype=y.dtype)
        h = lambda z: (torch.sin(z) + 0.5 * torch.cos(2 * z - 1.0))[:, 0]  # noqa: E731
        return EXACT.log_ratio(y, x, t) + self.eps * (h(x) - h(y))


def difference(loss_at, model, n: int) -> tuple[float, float]:
    a = loss_at(model, torch.Generator().manual_seed(5)).double()
    b = loss_at(Perturbed(0.0), torch.Generator().manual_seed(5)).double()
    d = (PROCESS.T - PROCESS.t_min) * (a - b)
    return d.mean().item(), d.std().item() / n**0.5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40000)
    ap.add_argument(
        "--out",
        type=writable_file("--out"),
        default="docs/results/jumps_loss_variance.json",
        help="the JSON written (default: %(default)s, the committed result a trial run overwrites)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    p, n = PROCESS, args.n
    g = torch.Generator().manual_seed(1)
    x0 = MIX.sample(n, g)
    t = p.sample_times(n, g)
    y, latent, atom = p.sample_latent(x0, t, g)  # y is also a draw of p_t for the implicit form
    implicit, denoising = ImplicitScoreEntropy(p, 4), DenoisingJumpScoreEntropy(p, 4)
    rows = []
    for eps in (0.1, 0.6, None):
        m = Perturbed(eps)
        imp = difference(lambda mod, gen: implicit.per_sample_at(mod, y, t, gen), m, n)
        den = difference(
            lambda mod, gen: denoising.per_sample_at(mod, y, latent, atom, t, gen), m, n
        )
        rows.append(
            {
                "model": "flat" if eps is None else f"perturbed {eps}",
                "implicit_mean": imp[0],
                "implicit_se": imp[1],
                "denoising_mean": den[0],
                "denoising_se": den[1],
                "se_ratio_implicit_over_denoising": imp[1] / den[1],
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
