"""Train a pure-jump model on a torus data set, sample with jump τ-leaping, report two-sample
metrics.

    python examples/jumps_torus.py --data torus-checkerboard --steps 4000 --out docs/results

Metrics are computed on the periodic embedding ``(cos x, sin x)`` (distances on the torus, not
across
the cut at ±π), against held-out data, each with its noise floor. Writes ``<out>/<data>.json``,
the samples ``<out>/<data>_samples.pt`` and a scatter plot ``<figure>/jumps_<data>.png`` (data |
samples). The defaults, ``--out docs/results`` and ``--figure docs/figures``, regenerate the files
docs/studies/jumps.md shows: give other folders to keep those as they are.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

from dmm.cli.catalog import build
from dmm.cli.config import parse_sets, writable_file
from dmm.cli.errors import USER_ERRORS, one_line
from dmm.data import load_data
from dmm.metrics import two_sample_report
from dmm.reversal import Reversal
from dmm.samplers import simulate
from dmm.training import TrainConfig, train


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="torus-checkerboard")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--sample-steps", type=int, default=200)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", nargs="*", default=[], help="process params KEY=VALUE")
    ap.add_argument(
        "--out",
        default="docs/results",
        help="folder of the JSON and samples (default: %(default)s, the files docs/studies/jumps.md "
        "shows, rewritten)",
    )
    ap.add_argument(
        "--figure",
        default="docs/figures",
        help="folder of the figure (default: %(default)s, the one docs/studies/jumps.md shows, "
        "rewritten)",
    )
    ap.add_argument("--device", default="cpu", help="device for training and sampling")
    ap.add_argument("--tag", default="", help="suffix of the output names, e.g. -small-jumps")
    args = ap.parse_args()
    try:
        run(args)
    except (*USER_ERRORS, argparse.ArgumentTypeError) as exc:  # an unknown --data, a bad --set,
        ap.exit(2, f"{ap.prog}: error: {one_line(exc)}\n")  # --out or --figure: one line


def run(args: argparse.Namespace) -> None:
    """Train, sample, score and write ``--out``'s JSON and samples and ``--figure``'s plot."""
    name = f"{args.data}{args.tag}"
    for flag, path in (("--out", Path(args.out, f"{name}.json")),
                       ("--figure", Path(args.figure, f"jumps_{name}.png"))):  # fmt: skip
        writable_file(flag)(str(path))  # before training, not after it
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(args.seed)
    built = build(
        "torus-jump", load_data(args.data, 20000, g), parse_sets(args.set), seed=args.seed
    )
    process, data, model, loss = built.process, built.data, built.model, built.loss
    t0 = time.time()
    result = train(
        model,
        loss,
        data,
        TrainConfig(
            steps=args.steps,
            batch_size=args.batch,
            lr=1e-3,
            warmup=200,
            seed=args.seed,
            log_every=500,
            val_every=args.steps,
            checkpoint_every=args.steps,
            device=args.device,
        ),
    )
    train_s = time.time() - t0
    rev = Reversal(process, result.ema.eval())
    t0 = time.time()
    gs = torch.Generator(device=args.device).manual_seed(args.seed)
    sampler = built.sampler()
    samples = simulate(rev, sampler, args.n, args.sample_steps, gs, device=args.device).cpu()
    sample_s = time.time() - t0
    held = load_data(args.data, 3 * args.n, torch.Generator().manual_seed(args.seed + 1))
    feats = process.space.features
    Path(args.out).mkdir(parents=True, exist_ok=True)
    report = two_sample_report(
        feats(samples), feats(held[: args.n]), feats(held[args.n :]), args.n, g
    )
    # calibration: the same metrics for uniform samples (the reference law = an untrained model)
    uniform = process.reference.sample(args.n, g)
    base = two_sample_report(
        feats(uniform), feats(held[: args.n]), feats(held[args.n :]), args.n, g
    )
    report.update({f"uniform_{k}": v for k, v in base.items() if k.endswith("ratio")})
    if args.data == "torus-checkerboard":  # a pattern-sensitive number: mass on the black cells
        from dmm.demo.torus_jump import black_cell_fraction

        report.update(
            black_fraction=black_cell_fraction(samples),
            black_fraction_data=black_cell_fraction(held),
            black_fraction_uniform=0.5,
        )
    torch.save(samples, Path(args.out, f"{name}_samples.pt"))
    report.update(
        train_seconds=train_s,
        sample_seconds=sample_s,
        train_steps=args.steps,
        sample_steps=args.sample_steps,
        final_loss=result.history[-1].get("loss", float("nan")) if result.history else float("nan"),
        **process.terminal_report(),
    )
    # JSON has no NaN: a number that was not measured (data_kl of a data set without a
    # density) is null
    text = json.dumps(
        {
            k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in report.items()
        },
        indent=2,
    )
    Path(args.out, f"{name}.json").write_text(text)
    print(text)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(7, 3.5))
    for a, z, title in ((ax[0], held[: args.n], "data"), (ax[1], samples, "torus-jump samples")):
        a.scatter(z[:, 0], z[:, 1], s=1, alpha=0.5)
        a.set(xlim=(-3.15, 3.15), ylim=(-3.15, 3.15), title=title, aspect="equal")
    fig.suptitle(f"{args.data}: energy {report['energy_ratio']:.1f}x floor")
    Path(args.figure).mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(args.figure, f"jumps_{name}.png"), dpi=90, bbox_inches="tight")


if __name__ == "__main__":
    main()
