"""Demo panel: the variance-preserving diffusion on a 2-D built-in data set.

Forward ``dX = -½β(t) X dt + √β(t) dW`` (generator ``L f = -½β x·∇f + ½β Δf``), learned backward
``dY = [½β Y + β s_θ(Y, t)] dτ + √β dW̄``; samples come from the probability-flow ODE
``dy/dt = -½β y - ½β s_θ`` integrated with Heun's method. The panel folder is a run folder, so
``dmm sample runs/demo/vp -n 1000 -o x.npy`` works on it.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import torch

from ..cli.catalog import build
from ..cli.rundir import save_data, write_run_config
from ..data import load_data
from ..data.registry import DATASET_INFO
from ..metrics import two_sample_report
from ..reversal import Reversal
from ..samplers import simulate
from ..training import TrainConfig, train
from .base import DemoPanel, PanelResult, structure_metrics, structure_text

#: the full budget (measured: see docs/cli.md) and the smoke-test budget
FULL = {
    "data": "checkerboard",
    "n_data": 20000,
    "steps": 3000,
    "batch_size": 512,
    "lr": 3e-3,
    "hidden": 128,
    # Fourier input features for the checkerboard's edges (docs/euclidean.md): five frequencies
    # are this panel's choice; vp's CLI default is three
    "fourier": 5,
    "sampler": "ode-heun",
    "sample_steps": 50,
    "n_eval": 2000,
}
QUICK = {**FULL, "n_data": 2000, "steps": 100, "hidden": 32, "sample_steps": 20, "n_eval": 400}


def run(out_dir: Path, seed: int, quick: bool) -> PanelResult:
    """Train VP on the data set of :data:`FULL` (or :data:`QUICK`), sample, evaluate, draw."""
    cfg = QUICK if quick else FULL
    data = load_data(cfg["data"], cfg["n_data"], torch.Generator().manual_seed(seed))
    built = build("vp", data, {"hidden": cfg["hidden"], "fourier": cfg["fourier"]}, seed=seed)
    config = TrainConfig(
        steps=cfg["steps"],
        batch_size=cfg["batch_size"],
        lr=cfg["lr"],
        seed=seed,
        log_every=max(cfg["steps"] // 60, 1),
        val_every=cfg["steps"],
        checkpoint_every=cfg["steps"],
    )
    sample = {"sampler": cfg["sampler"], "sample_steps": cfg["sample_steps"], "denoise": False}
    out_dir.mkdir(parents=True, exist_ok=True)
    subset = save_data(data, out_dir, seed)
    write_run_config(
        out_dir,
        built.spec,
        cfg["data"],
        cfg["n_data"],
        seed,
        built.params,
        asdict(config),
        sample,
        subset,
        scaling=None if built.scaling is None else built.scaling.to_config(),
    )
    t0 = time.perf_counter()
    result = train(built.model, built.loss, built.data, config, run_dir=out_dir)
    train_s = time.perf_counter() - t0
    n = cfg["n_eval"]
    rev = Reversal(built.process, result.ema)
    samples = simulate(
        rev,
        built.sampler(cfg["sampler"]),
        n,
        cfg["sample_steps"],
        torch.Generator().manual_seed(seed + 1),
    )
    samples = built.decode(samples)  # trained on standardised data: the data's coordinates
    ref = load_data(cfg["data"], 3 * n, torch.Generator().manual_seed(seed + 2))
    report = two_sample_report(samples, ref[:n], ref[n:], n, torch.Generator().manual_seed(seed))
    # the numbers that see blur and mass in empty regions first, on the same n fresh draws
    metrics = structure_metrics(samples, ref[:n], seed)
    support = DATASET_INFO[cfg["data"]].support
    if support is not None:
        metrics["off_support"] = float((~support(samples)).double().mean())
    metrics.update(
        (k, report[k])
        for k in ("energy", "energy_floor", "energy_ratio", "mmd_ratio", "sliced_w2_ratio")
    )
    metrics["terminal_kl"] = float(built.process.terminal_kl(built.encode(ref)).mean())
    metrics["train_seconds"] = train_s
    off = f", {100 * metrics['off_support']:.1f}% off the support" if support is not None else ""
    summary = (
        f"{structure_text(metrics)}{off}; energy distance {report['energy_ratio']:.2f}x its "
        f"noise floor (n={n}); {cfg['steps']} steps in {train_s:.0f} s"
    )
    from ..plotting import plot_panel

    figure = plot_panel(
        ref[:n],
        samples,
        out_dir / "vp.png",
        f"VP diffusion on {cfg['data']}, Fourier features ({cfg['sampler']}, "
        f"{cfg['sample_steps']} steps)\n"
        f"{structure_text(metrics)}{off} (n={n})",
        result.history,
    )
    return PanelResult(figure, metrics, summary)


PANEL = DemoPanel("vp", "VP diffusion on R^2", run)
