"""Where does the user's jump-diffusion (``examples/processes/jump_diffusion.py``) lose quality?

    python benchmarks/jump_diffusion_ablation.py VARIANT [--steps 4000]
        [--json docs/results/jump_diffusion_ablation.json] [--proposals 16,64]

Trains on 10 000 rows of ``8gaussians`` (``TrainConfig`` defaults, one CPU thread), samples 2000
points with the recipe's sampler (500 steps) and scores them against 2000 fresh draws: energy
distance over its noise floor, C2ST AUC, and the fraction of samples within 0.3 of one of the eight
centres (the data: 0.86). Variants (each replaces one piece of the recipe):

* ``recipe`` — the recipe's defaults (implicit score matching + implicit jump loss, logistic
  divergence, ``DirectRatio``);
* ``kl`` — the jump loss with the score-entropy (KL) divergence instead;
* ``potential-ratio`` — the jump ratio from a scalar potential ``U`` (``PotentialRatio``), the
  score head unchanged;
* ``no-jumps`` — the process without its jump block (the same OU drift and Brownian part): what
  the diffusion part alone learns at this budget.

``--proposals K1,K2`` then resamples the trained model with ``K`` sampler proposals each (the
sampler's destination choice as a source of error). Results are merged into ``--json`` by variant.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

from dmm.cli.config import writable_file
from dmm.data import load_data
from dmm.losses import ImplicitScoreEntropy, SumLoss
from dmm.metrics import c2st_auc, energy_distance
from dmm.networks import MLP
from dmm.processes import Process
from dmm.recipe import recipe
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, JumpTauLeaping, Splitting
from dmm.samplers.base import simulate
from dmm.scores import JumpDiffusionModel, PotentialRatio
from dmm.training import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]

N = 2000
VARIANTS = ("recipe", "kl", "potential-ratio", "no-jumps")


def _jump_diffusion(data):
    """examples/processes/jump_diffusion.py's ``make`` (loaded when used: ``--help`` works from a
    copy of ``benchmarks/`` without the examples beside it)."""
    sys.path.insert(0, str(ROOT / "examples" / "processes"))
    try:
        from jump_diffusion import make
    finally:
        sys.path.pop(0)
    return make(data)


def near_centres(x: torch.Tensor) -> float:
    angle = torch.arange(8) * math.pi / 4
    centres = 1.4 * torch.stack([angle.cos(), angle.sin()], 1)
    return float((torch.cdist(x.float(), centres).min(1).values < 0.3).float().mean())


def score(x: torch.Tensor) -> dict:
    g = torch.Generator().manual_seed(12345)
    test = load_data("8gaussians", N, g)
    floor = sum(
        energy_distance(load_data("8gaussians", N, g), test, unbiased=False) for _ in range(4)
    )
    return {
        "energy_ratio": energy_distance(x, test, unbiased=False) / (floor / 4),
        "c2st_auc": c2st_auc(x, test),
        "near_centres": near_centres(x),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("variant", choices=VARIANTS)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--proposals", default="", help="comma-separated sampler proposal counts")
    ap.add_argument("--json", type=writable_file("--json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = load_data("8gaussians", 10000, torch.Generator().manual_seed(0))
    process = _jump_diffusion(data)
    if args.variant == "no-jumps":
        process = Process(process.space, blocks=(process.blocks[0],))
    r = recipe(process, data)
    model, loss = r.model, r.loss
    if args.variant == "kl":
        loss = SumLoss(loss.losses[0], ImplicitScoreEntropy(process, 8, divergence="kl"))
    if args.variant == "potential-ratio":
        ratio = PotentialRatio(MLP(process.space.feature_dim, 1, 256, 3), process)
        model = JumpDiffusionModel(model.score_model, ratio)
    t0 = time.time()
    ema = train(model, loss, data, TrainConfig(steps=args.steps)).ema
    out = {"steps": args.steps, "train_seconds": time.time() - t0}
    x = simulate(
        Reversal(process, ema), r.sampler, N, r.sample_steps, torch.Generator().manual_seed(1)
    )
    out.update(score(x))
    for k in [int(k) for k in args.proposals.split(",") if k]:
        sampler = Splitting(EulerMaruyama(), JumpTauLeaping(k))
        x = simulate(
            Reversal(process, ema), sampler, N, r.sample_steps, torch.Generator().manual_seed(1)
        )
        out[f"proposals_{k}"] = score(x)
    out["command"] = "python benchmarks/jump_diffusion_ablation.py " + " ".join(sys.argv[1:])
    print(json.dumps({args.variant: out}, indent=1))
    if args.json:
        old = json.loads(args.json.read_text()) if args.json.exists() else {}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**old, args.variant: out}, indent=1) + "\n")


if __name__ == "__main__":
    main()
