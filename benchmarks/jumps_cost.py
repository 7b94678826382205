"""Cost of the jump family per training step and per sampling step, against ``K`` and ``d``.

    python benchmarks/jumps_cost.py --out docs/results/jumps_cost.json

Torus jumps on ``T^d`` with uniform data, the registry's direct ratio network (hidden 128, depth 2).
A training step = the registry's jump score entropy (``denoising`` by default, or ``--loss
implicit``) with ``K`` jumps per sample + backward + Adam, batch 256. A sampling step = one
τ-leaping step with ``K`` proposals for 1000 samples. Reports the median over repeats of CPU time of
this process (single thread), which is less sensitive than wall time to other jobs sharing the
machine, and ratios against baselines measured in the same run: the same ``d`` at ``K = 1``
(``*_vs_k1``), the implicit loss at the same ``(d, K)`` (``train_vs_implicit``), and a ``vp``
training step with the same MLP and batch on ``R^d`` (``train_vs_vp``; the issue's target is at
most ``K/2 + 1``). ``--process levy-ou`` measures the Lévy-type jump-diffusion instead (its step
also trains the score head).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from dmm.cli.catalog import build
from dmm.reversal import Reversal


def cpu_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(1000 * (time.process_time() - t0))
    return statistics.median(times)


NETWORK = {"hidden": 128, "depth": 2}
BATCH = 256


def training_step(built, data: torch.Tensor, g: torch.Generator):
    """One step of the built recipe's loss + backward + Adam, as a closure."""
    model, loss = built.model, built.loss
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def step():
        opt.zero_grad()
        loss(model, data, g).backward()
        opt.step()

    return step


def vp_train_ms(d: int, repeats: int) -> float:
    """A ``vp`` training step (ε-DSM) with the same MLP and batch, on standard normal data."""
    g = torch.Generator().manual_seed(0)
    data = torch.randn(BATCH, d, generator=g)
    # the same MLP as the jump processes': no Fourier features (vp's default has three)
    return cpu_ms(training_step(build("vp", data, {**NETWORK, "fourier": 0}), data, g), repeats)


def measure(
    d: int, k: int, repeats: int, loss_name: str = "denoising", process_name: str = "torus-jump"
) -> dict[str, float]:
    params = {**NETWORK, "proposals": k, "sampler_proposals": k, "loss": loss_name}
    g = torch.Generator().manual_seed(0)
    if process_name == "torus-jump":
        data = build(process_name, torch.zeros(2, d), params).process.space.uniform(BATCH, g)
    else:
        data = torch.randn(BATCH, d, generator=g)
    built = build(process_name, data, params)
    process, model = built.process, built.model
    train_step = training_step(built, data, g)

    rev, sampler = Reversal(process, model), built.sampler()
    y = process.reference.sample(1000, g)
    t, t_next = torch.full((1000,), 0.5), torch.full((1000,), 0.49)

    def sample_step():
        with torch.no_grad():
            sampler.step(rev, y, t, t_next, g)

    return {
        "d": d,
        "K": k,
        "train_ms": cpu_ms(train_step, repeats),
        "sample_ms": cpu_ms(sample_step, repeats),
    }


def with_ratios(
    rows: list[dict[str, float]], implicit: dict[tuple, float], vp: dict[int, float]
) -> None:
    """Add the same-run ratios to each row (in place)."""
    base = {r["d"]: r for r in rows if r["K"] == 1}
    for r in rows:
        r["train_vs_vp"] = r["train_ms"] / vp[r["d"]]
        r["target_vs_vp"] = r["K"] / 2 + 1
        b = base.get(r["d"])
        if b is not None:
            r["train_vs_k1"] = r["train_ms"] / b["train_ms"]
            r["sample_vs_k1"] = r["sample_ms"] / b["sample_ms"]
        if (r["d"], r["K"]) in implicit:
            r["train_vs_implicit"] = r["train_ms"] / implicit[(r["d"], r["K"])]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dims", type=int, nargs="*", default=[2, 8, 32])
    ap.add_argument("--ks", type=int, nargs="*", default=[1, 4, 16])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--process", default="torus-jump", choices=["torus-jump", "levy-ou"])
    ap.add_argument("--out", default="docs/results/jumps_cost.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    implicit, vp = {}, {}
    for d in args.dims:
        vp[d] = vp_train_ms(d, args.repeats)
        for k in args.ks:
            rows.append(measure(d, k, args.repeats, process_name=args.process))
            implicit[(d, k)] = measure(d, k, args.repeats, "implicit", args.process)["train_ms"]
    with_ratios(rows, implicit, vp)
    for r in rows:
        print(json.dumps({key: round(v, 3) for key, v in r.items()}), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
