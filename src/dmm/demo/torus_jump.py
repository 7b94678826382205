"""Demo panel: pure jumps on the torus. Samples start uniform on ``[-π, π)²`` and jump (no drift, no
diffusion) into a checkerboard of wrapped Gaussians.

Forward ``L f(x) = λ E_w[f(wrap(x + w)) - f(x)]``, ``w ~ N(0, σ_J² I)``; backward jumps ``y → y
⊕ w`` at
rate ``λ ρ(y, y ⊕ w, t)``, simulated by τ-leaping with ``K`` proposals. Top row: the exact
ratios of the
mixture (Fourier series), snapshots along the backward path; last panel: a small model trained with
the denoising score entropy for the panel's budget (the learning is the hard part, MATH.md §5d).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch

from ..cli.catalog import build
from ..metrics import energy_distance
from ..reversal import Reversal
from ..samplers import simulate
from ..testing.jump_oracles import ExactTorusRatio, WrappedNormalMixture
from ..training import TrainConfig, train
from .base import DemoPanel, PanelResult

FULL = {"n": 1500, "sample_steps": 60, "train_steps": 1200, "hidden": 64, "batch": 128}
QUICK = {"n": 300, "sample_steps": 15, "train_steps": 10, "hidden": 16, "batch": 32}


def checkerboard_mixture(var: float = 0.12) -> WrappedNormalMixture:
    """Wrapped Gaussians at the 8 black cell centres of a 4x4 board on ``[-π, π)²``."""
    c = [-3 * math.pi / 4 + k * math.pi / 2 for k in range(4)]
    means = torch.tensor([[c[i], c[j]] for i in range(4) for j in range(4) if (i + j) % 2 == 0])
    return WrappedNormalMixture(torch.ones(8), means, torch.tensor(var))


def black_cell_fraction(x: torch.Tensor) -> float:
    """Fraction of points on the black cells of the 4x4 board on ``[-π, π)²`` (uniform: 0.5)."""
    cell = torch.floor((x + math.pi) / (math.pi / 2)).long().clamp(0, 3)
    return float(((cell[:, 0] + cell[:, 1]) % 2 == 0).double().mean())


def run(out_dir: Path, seed: int, quick: bool) -> PanelResult:
    cfg = QUICK if quick else FULL
    params = {
        "hidden": cfg["hidden"],
        "depth": 2,
        "proposals": 8,
        "sampler_proposals": 8,
        # jumps of 0.6 suit these blobs (std 0.35) and need few sampling steps
        "sigma_jump": 0.6,
        "rate_min": 0.45,
        "rate_max": 181.5,
    }
    mix = checkerboard_mixture()
    g = torch.Generator().manual_seed(seed)
    data = mix.sample(4000, g)
    built = build("torus-jump", data, params, seed=seed)
    process = built.process
    n, steps = cfg["n"], cfg["sample_steps"]
    feats = process.space.features
    target = process.sample_marginal(mix.sample(n, g), torch.full((n,), process.t_min), g)
    floor = energy_distance(
        feats(target),
        feats(process.sample_marginal(mix.sample(n, g), torch.full((n,), process.t_min), g)),
        unbiased=False,
    )
    snaps: dict[float, torch.Tensor] = {process.T: None}  # type: ignore[dict-item]
    keep = {int(0.6 * steps) - 1, int(0.8 * steps) - 1, int(0.9 * steps) - 1, steps - 1}

    def record(k: int, t: torch.Tensor, y: torch.Tensor) -> None:
        if k in keep:
            snaps[float(t)] = y.clone()

    sampler = built.sampler("tau-leaping")
    y0 = process.reference.sample(n, g)
    snaps[process.T] = y0
    exact = simulate(
        Reversal(process, ExactTorusRatio(process, mix)),
        sampler,
        n,
        steps,
        g,
        y_init=y0,
        callback=record,
    )
    exact_ratio = energy_distance(feats(exact), feats(target), unbiased=False) / floor
    t0 = time.perf_counter()
    config = TrainConfig(
        steps=cfg["train_steps"],
        batch_size=cfg["batch"],
        lr=1e-3,
        warmup=10,
        ema_decay=0.99,
        seed=seed,
        log_every=10**9,
        val_every=10**9,
        checkpoint_every=10**9,
    )
    result = train(built.model, built.loss, built.data, config)
    train_s = time.perf_counter() - t0
    learned = simulate(Reversal(process, result.ema.eval()), sampler, n, steps, g)
    learned_ratio = energy_distance(feats(learned), feats(target), unbiased=False) / floor
    rep = process.terminal_report()
    metrics = {
        "black_fraction_exact_ratios": black_cell_fraction(exact),
        "black_fraction_trained": black_cell_fraction(learned),
        "black_fraction_target": black_cell_fraction(target),
        "energy_ratio_exact_ratios": exact_ratio,
        "energy_ratio_trained": learned_ratio,
        "terminal_bound_continuous": rep["continuous_part"],
        "atom_mass": rep["atom_mass"],
        "train_seconds": train_s,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = _draw(snaps, learned, out_dir / "torus_jump.png", cfg["train_steps"])
    summary = (
        f"on black cells (target {metrics['black_fraction_target']:.2f}, uniform 0.50): exact "
        f"ratios {metrics['black_fraction_exact_ratios']:.2f} after {steps} tau-leaping steps, "
        f"model trained {cfg['train_steps']} steps {metrics['black_fraction_trained']:.2f}"
    )
    return PanelResult(figure, metrics, summary)


def _draw(snaps: dict[float, torch.Tensor], learned: torch.Tensor, path: Path, steps: int) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = sorted(snaps.items(), reverse=True)
    fig, axes = plt.subplots(1, len(items) + 1, figsize=(2.6 * (len(items) + 1), 3.0))
    panels = [(f"exact ratios, t={t:.2f}", y) for t, y in items] + [
        (f"trained {steps} steps", learned)
    ]
    for ax, (title, y) in zip(axes, panels, strict=True):
        ax.scatter(y[:, 0], y[:, 1], s=1, alpha=0.5)
        ax.set(xlim=(-math.pi, math.pi), ylim=(-math.pi, math.pi), title=title, aspect="equal")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("pure jumps on the torus: uniform -> checkerboard of wrapped Gaussians")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


PANEL = DemoPanel("torus-jump", "Pure jumps on the torus", run)
