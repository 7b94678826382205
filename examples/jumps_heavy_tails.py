"""Heavy tails: ``levy-ou`` against ``vp`` at equal budget on heavy-tailed data sets.

    python examples/jumps_heavy_tails.py --data student-t-1.5-2d --steps 600 --out docs/results

For each process: train (same steps, batch, network width), sample ``n`` points, and compare the
quantiles 0.99 / 0.999 / 0.9999 of ``|x|`` with the data's (error on a log scale,
``|log q_model - log q_data|``, data quantiles from 10^6 draws) and the Hill estimate of the tail
index (top 1% of ``|x|``) with the data's. Writes ``<out>/heavy_<data>.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

from dmm.data import load_data
from dmm.registry import get_process
from dmm.reversal import Reversal
from dmm.samplers import simulate
from dmm.training import TrainConfig, train

LEVELS = (0.99, 0.999, 0.9999)


def hill(r: torch.Tensor, frac: float = 0.01) -> float:
    """Hill estimator of the tail index from the top ``frac`` of ``r = |x|``."""
    s = r.double().sort(descending=True).values
    k = max(int(frac * len(s)), 2)
    return float(1.0 / (torch.log(s[:k]) - torch.log(s[k])).mean())


def tail_summary(x: torch.Tensor) -> dict[str, float]:
    r = x.double().reshape(x.shape[0], -1).norm(dim=1)
    r = r[torch.isfinite(r)]
    out = {f"q{q}": float(torch.quantile(r, q)) for q in LEVELS} if len(r) < 2**24 else {}
    out["hill"] = hill(r)
    return out


def levy_params(data: str) -> dict[str, object]:
    """The Lévy-OU jump law matched to the data's tail index (the design choice the seeds argue
    for)."""
    if data.startswith("stable-"):
        return {"jumps": "stable", "alpha": float(data.split("-")[1])}
    return {"jumps": "student-t", "nu": float(data.split("-")[2])}


def run_one(name: str, data: torch.Tensor, overrides: dict, args) -> dict[str, float]:
    spec = get_process(name)
    params = spec.with_params({"hidden": args.hidden, "depth": 2, **overrides})
    process = spec.build(data, params)
    model, loss = spec.model(process, params, 0), spec.loss(process, params)
    t0 = time.time()
    result = train(
        model,
        loss,
        data,
        TrainConfig(
            steps=args.steps,
            batch_size=args.batch,
            lr=1e-3,
            warmup=50,
            seed=args.seed,
            log_every=10**9,
            val_every=10**9,
            checkpoint_every=10**9,
        ),
    )
    train_s = time.time() - t0
    g = torch.Generator().manual_seed(args.seed + 7)
    t0 = time.time()
    sampler = spec.samplers[spec.default_sampler](params)
    y = simulate(Reversal(process, result.ema.eval()), sampler, args.n, args.sample_steps, g)
    out = tail_summary(y)
    out.update(
        train_seconds=train_s,
        sample_seconds=time.time() - t0,
        nonfinite=int((~torch.isfinite(y)).any(1).sum()),
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="student-t-1.5-2d")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--sample-steps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="docs/results")
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = load_data(args.data, 20000, torch.Generator().manual_seed(args.seed))
    truth = tail_summary(load_data(args.data, 10**6, torch.Generator().manual_seed(99)))
    report = {"data": args.data, "truth": truth, "args": vars(args)}
    for name, over in (("levy-ou", levy_params(args.data)), ("vp", {})):
        res = run_one(name, data, over, args)
        res.update({f"logerr_q{q}": abs(math.log(res[f"q{q}"] / truth[f"q{q}"])) for q in LEVELS})
        report[name] = res
        print(name, json.dumps(res), flush=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    Path(args.out, f"heavy_{args.data}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
