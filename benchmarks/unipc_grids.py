"""UniPC's order and time grid at 10 and 20 network evaluations, next to the few-step samplers
`vp` had (DPM-Solver-2M and the straight path's midpoint rule, both on the straight grid).

For each data set (the 2-D built-ins and ``peers.py``'s 10-D mixture ``gmm10``): ``vp`` from
its CLI defaults, trained as ``peers.py`` trains it (``--steps`` steps, batch 512, MLP 3 x 256,
seed 0), then each sampler variant draws 2000 samples twice (sampling seeds 100, 101), each scored
by the C2ST AUC against its own 2000 fresh data draws (the same two reference sets for every
variant). Prints the mean of the two AUCs and both values; the JSON keeps every value.

Variants: ``unipc`` (predictor order 2 plus the corrector, ``weights="half"``; also ``"exact"``
on the log-SNR grid) on the log-SNR, straight and EDM
grids; predictor orders 1 and 3 on the log-SNR grid; ``dpm2`` and ``straight-midpoint`` on the
straight grid (``vp``'s grid for them).

    python benchmarks/unipc_grids.py --json docs/results/unipc_grids.json    # ~10 min, one core
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import torch
from peers import N_DATA, draw  # the sibling script

from dmm.cli.catalog import build
from dmm.cli.config import writable_file
from dmm.metrics import c2st_auc
from dmm.reversal import Reversal
from dmm.samplers import (
    DPMSolver2M,
    Sampler,
    StraightMidpoint,
    UniPC,
    edm_grid,
    logsnr_grid,
    simulate,
    straight_grid,
)
from dmm.training import TrainConfig, train

#: name -> a fresh sampler (multistep samplers keep state: one object per run)
VARIANTS: dict[str, Callable[[], Sampler]] = {
    "unipc, log-SNR": lambda: UniPC(logsnr_grid),
    "unipc exact weights, log-SNR": lambda: UniPC(logsnr_grid, weights="exact"),
    "unipc, straight": lambda: UniPC(straight_grid),
    "unipc, EDM": lambda: UniPC(edm_grid),
    "unipc order 1, log-SNR": lambda: UniPC(logsnr_grid, order=1),
    "unipc order 3, log-SNR": lambda: UniPC(logsnr_grid, order=3),
    "dpm2, straight": lambda: DPMSolver2M(straight_grid),
    "straight-midpoint, straight": lambda: StraightMidpoint(straight_grid),
}
SETS = ("checkerboard", "moons", "8gaussians", "swissroll", "pinwheel", "gmm10")


def run_set(name: str, steps: int, budgets: list[int]) -> list[dict]:
    data = draw(name, N_DATA, 0)
    built = build("vp", data, {"hidden": 256, "depth": 3}, seed=0)
    config = TrainConfig(
        steps=steps,
        batch_size=512,
        seed=0,
        log_every=steps,
        val_every=steps,
        checkpoint_every=steps,
    )
    start = time.process_time()
    rev = Reversal(built.process, train(built.model, built.loss, built.data, config).ema.eval())
    cpu = time.process_time() - start
    refs = [draw(name, 2000, 20_000 + k) for k in range(2)]
    rows = []
    for budget in budgets:
        for variant, make in VARIANTS.items():
            sampler = make()
            aucs = []
            for k, ref in enumerate(refs):
                steps_k = sampler.steps_for(budget)
                y = simulate(rev, sampler, 2000, steps_k, torch.Generator().manual_seed(100 + k))
                x = built.decode(y).float()
                aucs.append(c2st_auc(x, ref) if torch.isfinite(x).all() else 1.0)
            row = {"set": name, "budget": budget, "variant": variant, "nfe": sampler.nfe(steps_k)}
            row |= {"c2st_auc": sum(aucs) / 2, "aucs": aucs, "train_cpu_s": cpu}
            rows.append(row)
            print(
                f"{name:12s} {budget:3d}  {variant:28s} {row['c2st_auc']:.3f}  "
                f"({aucs[0]:.3f}, {aucs[1]:.3f})",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--budgets", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:  # scikit-learn's classifier (C2ST) runs OpenMP threads
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    rows = [row for name in args.sets for row in run_set(name, args.steps, args.budgets)]
    out = {
        "command": "python benchmarks/unipc_grids.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "rows": rows,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    main()
