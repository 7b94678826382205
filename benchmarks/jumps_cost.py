"""Cost of the jump family per training step and per sampling step, against ``K`` and ``d``.

    python benchmarks/jumps_cost.py --parameterisations direct trunk potential

Torus jumps on ``T^d`` with uniform data, the registry's ratio network (hidden 128, depth 2; each
``--parameterisations`` entry, default the process's own). A training step = the registry's jump
score entropy (``denoising`` by default, or ``--loss implicit``) with ``K`` jumps per sample +
backward + the trainer's Adam (:func:`dmm.training.adam`), batch 256. A sampling step = one τ-leaping step with ``K`` proposals for 1000
samples. CPU time of this process (single thread), which is less sensitive than wall time to other
jobs sharing the machine. ``train_vs_vp``: a ``vp`` training step with the same MLP and batch on
``R^d``, run alternately with the jump step, and the median of the per-pair ratios (the issue's
target is at most ``K/2 + 1``); ``*_vs_k1``: the same ``d`` and model at ``K = 1``. ``--process
levy-ou`` measures the Lévy-type jump-diffusion instead (its step also trains the score head).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from dmm.cli.catalog import build
from dmm.cli.config import parse_sets, writable_file
from dmm.cli.errors import USER_ERRORS, one_line
from dmm.reversal import Reversal
from dmm.training import adam


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
    """One step of the built recipe's loss + backward + the trainer's Adam, as a closure."""
    model, loss = built.model, built.loss
    opt = adam(model, 1e-3)

    def step():
        opt.zero_grad()
        loss(model, data, g).backward()
        opt.step()

    return step


def paired_ratio(fn, base, repeats: int) -> tuple[float, float, float]:
    """``(median ms of fn, median ms of base, median of the per-pair ratios fn / base)``, the two
    run alternately so that a slow spell of the machine hits both sides of a pair."""
    fn(), base()  # warm-up
    a, b = [], []
    for _ in range(repeats):
        for f, out in ((fn, a), (base, b)):
            t0 = time.process_time()
            f()
            out.append(1000 * (time.process_time() - t0))
    return (
        statistics.median(a),
        statistics.median(b),
        statistics.median(x / y for x, y in zip(a, b)),
    )


def vp_step(d: int):
    """A ``vp`` training step (ε-DSM) with the same MLP and batch, on standard normal data."""
    g = torch.Generator().manual_seed(0)
    data = torch.randn(BATCH, d, generator=g)
    # the same MLP as the jump processes': no Fourier features (vp's default has three)
    return training_step(build("vp", data, {**NETWORK, "fourier": 0}), data, g)


def measure(
    d: int,
    k: int,
    repeats: int,
    loss_name: str,
    process_name: str,
    parameterisation: str | None,
    extra: dict | None = None,
) -> dict:
    params = {**NETWORK, "proposals": k, "sampler_proposals": k, "loss": loss_name, **(extra or {})}
    if parameterisation is not None:
        params["parameterisation"] = parameterisation
    g = torch.Generator().manual_seed(0)
    if process_name == "torus-jump":
        data = build(process_name, torch.zeros(2, d), params).process.space.uniform(BATCH, g)
    else:
        data = torch.randn(BATCH, d, generator=g)
    built = build(process_name, data, params)
    process, model = built.process, built.model
    train_ms, vp_ms, ratio = paired_ratio(training_step(built, data, g), vp_step(d), repeats)

    rev, sampler = Reversal(process, model), built.sampler()
    y = process.reference.sample(1000, g)
    t, t_next = torch.full((1000,), 0.5), torch.full((1000,), 0.49)

    def sample_step():
        with torch.no_grad():
            sampler.step(rev, y, t, t_next, g)

    return {
        "d": d,
        "K": k,
        "parameterisation": built.params["parameterisation"],
        "train_ms": train_ms,
        "vp_train_ms": vp_ms,
        "train_vs_vp": ratio,
        "target_vs_vp": k / 2 + 1,
        "sample_ms": cpu_ms(sample_step, repeats),
    }


def with_k1_ratios(rows: list[dict]) -> None:
    """Add each row's cost over its ``K = 1`` row (same ``d`` and parameterisation), in place."""
    base = {(r["d"], r["parameterisation"]): r for r in rows if r["K"] == 1}
    for r in rows:
        b = base.get((r["d"], r["parameterisation"]))
        if b is not None:
            r["train_vs_k1"] = r["train_ms"] / b["train_ms"]
            r["sample_vs_k1"] = r["sample_ms"] / b["sample_ms"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dims", type=int, nargs="*", default=[2, 8, 32])
    ap.add_argument("--ks", type=int, nargs="*", default=[1, 4, 16])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--process", default="torus-jump", choices=["torus-jump", "levy-ou"])
    ap.add_argument("--loss", default="denoising", choices=["denoising", "implicit"])
    ap.add_argument(
        "--parameterisations",
        nargs="*",
        default=[None],
        help="ratio models to measure (default: the process's own)",
    )
    ap.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=VALUE", help="more process parameters"
    )
    ap.add_argument(
        "--out",
        type=writable_file("--out"),
        default="docs/results/jumps_cost.json",
        help="the JSON written (default: %(default)s, the committed result a trial run overwrites)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        extra = parse_sets(args.set)
        rows = [
            measure(d, k, args.repeats, args.loss, args.process, par, extra)
            for d in args.dims
            for par in args.parameterisations
            for k in args.ks
        ]
    except USER_ERRORS as exc:  # a bad --set: one line, as argparse's own errors
        ap.exit(2, f"{ap.prog}: error: {one_line(exc)}\n")
    with_k1_ratios(rows)
    for r in rows:
        print(json.dumps({key: round(v, 3) if isinstance(v, float) else v for key, v in r.items()}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
