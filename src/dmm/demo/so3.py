"""Demo panel: Brownian motion on SO(3) learning a mixture of 16 wrapped normals.

Forward ``L = ½β(t)Δ`` on SO(3) (IGSO(3) kernel, Haar reference); learned backward drift
``β s_θ`` with ``s_θ`` a tangent vector in the body frame, sampled by the geodesic random walk
``y ← y exp((β s_θ h + √(βh) ξ)^)``. A pose ``R`` is drawn as the point ``R e_z`` on the sphere
(longitude vs. sine of latitude, an equal-area map), coloured by ``R``'s nearest mixture mean.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch

from ..cli.catalog import build
from ..data import load_data
from ..metrics.so3 import angle_to_modes, fraction_within, mode_coverage
from ..reversal import Reversal
from ..samplers import simulate
from ..training import TrainConfig, train
from .base import DemoPanel, PanelResult

FULL = {
    "n_data": 20000,
    "steps": 2000,
    "batch_size": 256,
    "lr": 2e-3,
    "hidden": 128,
    "sample_steps": 100,
    "n_eval": 1000,
}
QUICK = {**FULL, "n_data": 2000, "steps": 30, "hidden": 32, "sample_steps": 10, "n_eval": 200}
ANGLE = math.radians(20)


def _sphere(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    z = x[:, :, 2]  # R e_z
    return torch.atan2(z[:, 1], z[:, 0]), z[:, 2].clamp(-1, 1)


def run(out_dir: Path, seed: int, quick: bool) -> PanelResult:
    """Train ``so3-brownian`` on ``so3-mixture-16``, sample with the geodesic walk, evaluate,
    draw."""
    cfg = QUICK if quick else FULL
    data = load_data("so3-mixture-16", cfg["n_data"], torch.Generator().manual_seed(seed))
    built = build("so3-brownian", data, {"hidden": cfg["hidden"]}, seed=seed)
    config = TrainConfig(
        steps=cfg["steps"],
        batch_size=cfg["batch_size"],
        lr=cfg["lr"],
        seed=seed,
        log_every=max(cfg["steps"] // 20, 1),
        val_every=cfg["steps"],
        checkpoint_every=10**9,
    )
    t0 = time.perf_counter()
    result = train(built.model, built.loss, built.data, config)
    train_s = time.perf_counter() - t0
    n = cfg["n_eval"]
    samples = simulate(
        Reversal(built.process, result.ema),
        built.sampler("em"),
        n,
        cfg["sample_steps"],
        torch.Generator().manual_seed(seed + 1),
    )
    from ..data.so3 import mixture_means

    means = mixture_means(16)
    ref = load_data("so3-mixture-16", n, torch.Generator().manual_seed(seed + 2))
    metrics = {
        "within_20deg": fraction_within(samples, means, ANGLE),
        "mode_coverage": mode_coverage(samples, means, ANGLE),
        "data_within_20deg": fraction_within(ref, means, ANGLE),
        "max_orthogonality_error": float(
            (samples.transpose(1, 2) @ samples - torch.eye(3)).abs().max()
        ),
        "train_seconds": train_s,
    }
    summary = (
        f"{100 * metrics['within_20deg']:.0f}% of samples within 20° of a mean "
        f"(data {100 * metrics['data_within_20deg']:.0f}%), "
        f"{metrics['mode_coverage'] * 16:.0f}/16 modes; {cfg['steps']} steps in {train_s:.0f} s"
    )
    figure = _draw(out_dir / "so3.png", ref, samples, means)
    return PanelResult(figure, metrics, summary)


def _draw(path: Path, ref: torch.Tensor, samples: torch.Tensor, means: torch.Tensor) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, x, title in [(axes[0], ref, "data"), (axes[1], samples, "geodesic walk samples")]:
        lon, sinlat = _sphere(x)
        colour = angle_to_modes(x, means).argmin(1)
        ax.scatter(lon, sinlat, c=colour, cmap="tab20", s=3, alpha=0.7)
        mlon, msin = _sphere(means)
        ax.scatter(mlon, msin, marker="x", c="k", s=25)
        ax.set_title(f"{title}: R e_z")
        ax.set_xlim(-math.pi, math.pi)
        ax.set_ylim(-1, 1)
        ax.set_xlabel("longitude")
    axes[0].set_ylabel("sin(latitude)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


PANEL = DemoPanel("so3", "Brownian DMM on SO(3)", run)
