"""Demo panel: positive data on the quadrant (orthant-gmm-2d), geometric Brownian motion against VP.

GBM: ``L f = μ x·∇f + ½ σ² Σ x_i² ∂_i² f`` (time-changed), backward in ``z = log y``:
``dz = [-(μ - σ²/2) + σ² + σ² y ⊙ s_θ] dτ + σ dW`` — no sample can leave the quadrant. VP, trained
and sampled with the same budget on the same data, puts some samples at negative coordinates; the
panel counts them.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from ..cli.catalog import build
from ..data import orthant_gmm_2d
from ..metrics import energy_distance
from ..reversal import Reversal
from ..samplers import simulate
from ..training import TrainConfig, train
from .base import DemoPanel, PanelResult, structure_metrics, structure_text

FULL = {"steps": 1500, "hidden": 64, "n_samples": 1000, "sample_steps": 100}
QUICK = {"steps": 40, "hidden": 16, "n_samples": 200, "sample_steps": 20}


def _fit(name: str, data: torch.Tensor, cfg: dict, seed: int) -> torch.Tensor:
    params = {"hidden": cfg["hidden"], "depth": 2}
    if name == "vp":  # the same MLP as gbm's: no Fourier features (vp's default has three)
        params["fourier"] = 0
    built = build(name, data, params, seed=seed)
    config = TrainConfig(
        steps=cfg["steps"],
        batch_size=256,
        lr=3e-3,
        warmup=50,
        seed=seed,
        log_every=cfg["steps"],
        val_every=10**9,
        checkpoint_every=10**9,
    )
    ema = train(built.model, built.loss, built.data, config).ema.eval()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        y = simulate(
            Reversal(built.process, ema),
            built.sampler("em"),
            cfg["n_samples"],
            cfg["sample_steps"],
            g,
        )
    return built.decode(y)  # vp trains on standardised data: back to the quadrant's coordinates


def run(out_dir: Path, seed: int, quick: bool) -> PanelResult:
    """Train ``gbm`` and ``vp`` on orthant-gmm-2d with the same budget; sample; count violations."""
    cfg = QUICK if quick else FULL
    g = torch.Generator().manual_seed(seed)
    data, test = orthant_gmm_2d(10_000, g), orthant_gmm_2d(cfg["n_samples"], g)
    t0 = time.perf_counter()
    gbm = _fit("gbm", data, cfg, seed)
    vp = _fit("vp", data, cfg, seed)
    seconds = time.perf_counter() - t0
    floor = energy_distance(data[: cfg["n_samples"]], test, unbiased=False)
    viol = {k: float((y <= 0).any(1).float().mean()) for k, y in (("gbm", gbm), ("vp", vp))}
    # first the numbers that see structure, against the fresh held-out draws (vp unclipped)
    metrics = {
        f"{name}_{k}": v
        for name, y in (("gbm", gbm), ("vp", vp))
        for k, v in structure_metrics(y, test, seed).items()
    }
    metrics.update(
        gbm_energy_ratio=energy_distance(gbm, test, unbiased=False) / floor,
        vp_energy_ratio=energy_distance(vp.clamp_min(0), test, unbiased=False) / floor,
        gbm_violations=viol["gbm"],
        vp_violations=viol["vp"],
        train_seconds=seconds,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = _draw(test, gbm, vp, out_dir / "orthant.png", metrics)
    summary = (
        f"gbm: {structure_text(metrics, 'gbm_')}, {100 * viol['gbm']:.1f}% samples outside the "
        f"quadrant, energy {metrics['gbm_energy_ratio']:.1f}x floor; vp: "
        f"{structure_text(metrics, 'vp_')}, {100 * viol['vp']:.1f}% outside, "
        f"{metrics['vp_energy_ratio']:.1f}x floor after clipping"
    )
    return PanelResult(figure, metrics, summary)


def _draw(
    test: torch.Tensor, gbm: torch.Tensor, vp: torch.Tensor, path: Path, metrics: dict[str, float]
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), sharex=True, sharey=True)
    for ax, pts, name in (
        (axes[0], test, "data (orthant-gmm-2d)"),
        (axes[1], gbm, f"gbm\n{structure_text(metrics, 'gbm_')}"),
        (axes[2], vp, f"vp\n{structure_text(metrics, 'vp_')}"),
    ):
        bad = (pts <= 0).any(1)
        ax.scatter(pts[~bad, 0], pts[~bad, 1], s=2, alpha=0.5)
        ax.scatter(pts[bad, 0], pts[bad, 1], s=4, c="red", label=f"outside: {int(bad.sum())}")
        ax.axhline(0, c="k", lw=0.5)
        ax.axvline(0, c="k", lw=0.5)
        ax.set_title(name, fontsize=9)
        if bad.any():
            ax.legend(loc="upper right", fontsize=8)
    axes[0].set_xlim(-0.5, 3.2)
    axes[0].set_ylim(-0.5, 3.2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


PANEL = DemoPanel("orthant", "Positive data: GBM vs VP on the quadrant", run)
