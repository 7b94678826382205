"""Metrics for chains: exact divergences between pmfs on small spaces and the NLL bound (MATH.md
§5c, §8).

NLL bound of the model that runs the backward chain from ``q`` at ``T`` to ``t_min`` and then
samples ``x_0^i ~ p_θ(x_0^i | y)`` (the sampled final denoising step):

    -log p̂(x_0) ≤ KL(p_{T|0}(·|x_0) || q) + ℓ_{[t_min, T]}(x_0) + E_{y ~ p_{t_min|0}} [-log
    p_θ(x_0 | y)],

terminal + score entropy + reconstruction, reported in bits per dimension (÷ d ln 2).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..losses.score_entropy import ScoreEntropy
from ..processes.chains import ChainProcess
from .chain_oracle import joint_index


def entropy(p: Tensor) -> float:
    """Shannon entropy ``-Σ p log p`` in nats."""
    p = p.double()
    return float(-(p[p > 0] * p[p > 0].log()).sum())


def kl_divergence(p: Tensor, q: Tensor) -> float:
    """``KL(p || q)`` in nats (``inf`` if ``p`` is not ≪ ``q``)."""
    p, q = p.double(), q.double()
    s = p > 0
    if (q[s] <= 0).any():
        return math.inf
    return float((p[s] * (p[s].log() - q[s].log())).sum())


def total_variation(p: Tensor, q: Tensor) -> float:
    """``½ Σ |p - q|``."""
    return 0.5 * float((p.double() - q.double()).abs().sum())


def empirical_pmf(x: Tensor, n: int) -> Tensor:
    """Empirical pmf of samples ``x`` ``(batch, d)`` over the ``n^d`` joint states."""
    counts = torch.bincount(joint_index(x, n), minlength=n ** x.shape[1]).double()
    return counts / counts.sum()


def nll_bound(
    process: ChainProcess,
    model: nn.Module,
    x0: Tensor,
    generator: torch.Generator | None,
    context: Tensor | None = None,
    n_time: int = 4,
) -> dict[str, Tensor]:
    """Per-sample terms of the NLL bound (module doc) in nats: ``terminal``, ``loss`` (score
    entropy, averaged over ``n_time`` draws of ``t``), ``reconstruction`` and ``total``."""
    with torch.no_grad():
        se = ScoreEntropy(process)
        loss = sum(se.per_sample(model, x0, generator, context) for _ in range(n_time)) / n_time
        terminal = process.terminal_kl(x0)
        tmin = torch.full((x0.shape[0],), process.t_min)
        y = process.sample_transition(x0, tmin, generator)
        probs = model.x0_probs(y, tmin, context).gather(-1, x0.long()[..., None]).squeeze(-1)
        recon = -torch.log(probs.clamp_min(1e-30)).sum(1)
    return {
        "terminal": terminal,
        "loss": loss,
        "reconstruction": recon,
        "total": terminal + loss + recon,
    }


def chain_evaluate(
    process: ChainProcess,
    model: nn.Module,
    data: Tensor,
    context: Tensor | None = None,
    seed: int = 0,
    batch_size: int = 512,
    n_time: int = 4,
) -> dict[str, float]:
    """The NLL bound and its terms on ``data``, in bits per dimension (mean over rows), with the
    standard error of the total (``ProcessSpec.evaluate`` for the chain processes). ``data``
    outside the space is a :class:`~dmm.spaces.SupportError` naming the rows."""
    data = process.space.validate(data)  # values >= S were an indexing error deep in the bound
    g = torch.Generator().manual_seed(seed)
    parts: dict[str, list[Tensor]] = {}
    model_was_training = model.training
    model.eval()
    for k in range(0, data.shape[0], batch_size):
        ctx = None if context is None else context[k : k + batch_size]
        out = nll_bound(process, model, data[k : k + batch_size], g, ctx, n_time)
        for key, v in out.items():
            parts.setdefault(key, []).append(v)
    model.train(model_was_training)
    scale = 1.0 / (process.d * math.log(2))
    res = {f"{k}_bits_per_dim": float(torch.cat(v).mean()) * scale for k, v in parts.items()}
    total = torch.cat(parts["total"]) * scale
    res["nll_bound_bits_per_dim"] = res.pop("total_bits_per_dim")
    res["nll_bound_stderr"] = float(total.std() / max(total.numel(), 1) ** 0.5)
    return res


__all__ = [
    "chain_evaluate",
    "empirical_pmf",
    "entropy",
    "kl_divergence",
    "nll_bound",
    "total_variation",
]
