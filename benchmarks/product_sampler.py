"""Splitting against simultaneous steps for products (dmm.samplers.product): the same trained
table model sampled both ways, at the same number of steps.

    OMP_NUM_THREADS=1 python benchmarks/product_sampler.py --json docs/results/product_sampler.json

For each table (a seeded 80/20 split), one model is trained (``--steps``, the recipe's defaults)
and sampled ``--generations`` times with each sampler; the table metrics
(:func:`dmm.tabular.metrics.evaluate`) against the held-out rows are averaged over generations.
Splitting reads one network evaluation per factor per step, the simultaneous step one in all.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from dmm.cli.config import writable_file
from dmm.recipe import recipe
from dmm.reversal import Reversal
from dmm.samplers import simulate
from dmm.samplers.product import ProductSampler
from dmm.tabular.codec import TableCodec
from dmm.tabular.datasets import load_table
from dmm.tabular.metrics import evaluate
from dmm.tabular.schema import infer_schema
from dmm.training import TrainConfig, train

KEYS = ("c2st_auc", "w1_train", "w1_test", "coverage_train", "column_shape", "column_pair")


def run_table(name: str, steps: int, generations: int, seed: int) -> list[dict]:
    frame, target = load_table(name)
    rows = np.random.default_rng(seed).permutation(len(frame))
    cut = int(0.8 * len(frame))
    train_rows = frame.iloc[rows[:cut]].reset_index(drop=True)
    test_rows = frame.iloc[rows[cut:]].reset_index(drop=True)
    codec = TableCodec.fit(train_rows, infer_schema(train_rows))
    data = codec.encode(train_rows)
    torch.manual_seed(seed)
    process = codec.process()
    r = recipe(process, data)
    config = TrainConfig(steps=steps, seed=seed, log_every=10**9, val_every=10**9)
    model = train(r.model, r.loss, data, config).ema.eval()
    out = []
    for label, simultaneous in (("split", False), ("simultaneous", True)):
        sampler = ProductSampler(*r.sampler.samplers, simultaneous=simultaneous)
        scores, t0 = [], time.perf_counter()
        for g in range(generations):
            with torch.no_grad():
                y = simulate(
                    Reversal(process, model),
                    sampler,
                    len(train_rows),
                    r.sample_steps,
                    torch.Generator().manual_seed(seed + 1 + g),
                    denoise=True,
                )
            synthetic = codec.decode(y)
            result = evaluate(train_rows, test_rows, synthetic, codec.schema.kinds(), target=target)
            scores.append([result[k] for k in KEYS])
        record = {
            "table": name,
            "sampler": label,
            "factors": len(process.factors),
            "nfe": sampler.nfe_per_step * r.sample_steps + 1,
            "seconds": round(time.perf_counter() - t0, 1),
            **{k: round(float(v), 4) for k, v in zip(KEYS, np.mean(scores, axis=0))},
        }
        print(json.dumps(record), flush=True)
        out.append(record)
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", default="penguins,wine")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=writable_file("--json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows = [
        r
        for name in args.tables.split(",")
        for r in run_table(name, args.steps, args.generations, args.seed)
    ]
    report = {"settings": vars(args) | {"json": args.json and str(args.json)}, "rows": rows}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
