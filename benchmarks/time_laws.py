"""The training-time law for VP on checkerboard: uniform ``t`` against the importance-weighted
log-uniform mixture (``dmm.losses.times``), the same loss otherwise.

Both estimate the same path-KL integral; only their variance differs. Everything else is the
recipe's: ``EpsParam`` on an MLP 256×3, DSM with the KL weighting, batch 256, Euler–Maruyama with
500 steps and the final Tweedie step. Each run draws 4000 samples and reports the fraction that
falls off the board's black cells (the data: 0) and the C2ST AUC against 4000 fresh draws.

    python benchmarks/time_laws.py [--steps 3000] [--seeds 0,1] [--json docs/results/time_laws.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from dmm.cli.config import writable_file
from dmm.data import load_data
from dmm.losses.times import LogUniformMixture, UniformTimes
from dmm.metrics import c2st_auc
from dmm.processes import VP
from dmm.recipe import recipe
from dmm.reversal import Reversal
from dmm.samplers.base import simulate
from dmm.training import TrainConfig, train

LAWS = {"uniform": UniformTimes(), "log-uniform mixture": LogUniformMixture()}
N = 4000


def off_board(x: torch.Tensor) -> float:
    """Fraction of samples outside the 8 black cells of ``[-2, 2]²`` (``i + j`` even)."""
    inside = (x.abs() < 2).all(1)
    i, j = torch.floor(x[:, 0] + 2), torch.floor(x[:, 1] + 2)
    return 1.0 - float((inside & ((i + j) % 2 == 0)).float().mean())


def one_run(law: str, seed: int, steps: int) -> dict:
    data = load_data("checkerboard", 20000, torch.Generator().manual_seed(seed))
    p = VP(2)
    torch.manual_seed(seed)
    r = recipe(p, data)
    start = time.time()
    config = TrainConfig(steps=steps, seed=seed, val_every=10**9, checkpoint_every=10**9)
    ema = train(r.model, r.loss.with_times(LAWS[law]), data, config).ema
    x = simulate(Reversal(p, ema), r.sampler, N, r.sample_steps,
                 torch.Generator().manual_seed(seed + 1), denoise=r.denoise)  # fmt: skip
    test = load_data("checkerboard", N, torch.Generator().manual_seed(1000 + seed))
    out = {"law": law, "seed": seed, "off_board": off_board(x), "c2st_auc": c2st_auc(x, test),
           "seconds": round(time.time() - start)}  # fmt: skip
    print(out, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    runs = [one_run(law, seed, args.steps) for seed in seeds for law in LAWS]
    fresh = load_data("checkerboard", N, torch.Generator().manual_seed(7))
    floor = c2st_auc(fresh, load_data("checkerboard", N, torch.Generator().manual_seed(1000)))
    for law in LAWS:
        mine = [r for r in runs if r["law"] == law]
        print(f"{law}: off-board {[round(r['off_board'], 3) for r in mine]}, "
              f"AUC {[round(r['c2st_auc'], 3) for r in mine]}")  # fmt: skip
    print(f"two fresh samples: AUC {floor:.3f}; off-board 0")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"steps": args.steps, "n": N, "runs": runs,
                                         "c2st_auc_fresh": floor,
                                         "command": "python " + " ".join(sys.argv)},
                                        indent=1) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
