"""``dmm eval``: two-sample metrics against data, the MATH.md §8 error report and the family's own
numbers, printed as one JSON object and written to ``eval.json`` in the run folder."""

from __future__ import annotations

import argparse
import json
import math
import os
from typing import Any

import torch

from ..metrics import two_sample_report
from ..metrics.report import error_report
from .errors import UsageError
from .rundir import EVAL, read_data
from .rundir import load_run as _load_run
from .sample import add_sampling_options, draw, progress, sampling_setup

#: the numerical term compares at most this many samples (two extra sampler runs)
NUMERICAL_N = 1000
EVAL_SEED_OFFSET = 1_000_003


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate a trained run against data (prints JSON)",
        description="Sample the run in DIR and compare with --data; prints one "
        "JSON object and writes DIR/eval.json.",
    )
    p.add_argument("run_dir", metavar="DIR", help="run folder written by dmm train")
    p.add_argument("--data", required=True, help="built-in data set name or .npy/.csv file")
    p.add_argument("-n", type=int, default=2000, help="samples to compare (default 2000)")
    add_sampling_options(p)
    p.set_defaults(func=run)


def _finite(obj: Any) -> Any:
    """JSON-safe copy: non-finite floats become ``None``."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def eval_data(spec: str, n: int, seed: int, builtin: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``(reference, floor_data)``: for a built-in, ``n`` fresh draws and ``2n`` more held out;
    for a file, its rows shuffled (the floor then splits the same rows)."""
    if builtin:
        x = read_data(spec, 3 * n, seed + EVAL_SEED_OFFSET)
        return x[:n], x[n:]
    x = read_data(spec, n, seed)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return x[perm], x[perm]


def run(args: argparse.Namespace) -> int:
    from ..data import BUILTIN_DATASETS

    if args.n < 2:
        raise UsageError(f"-n must be at least 2, got {args.n}")
    run_ = _load_run(args.run_dir, ema=not args.no_ema, device=args.device)
    setup = sampling_setup(run_, args)
    reference, floor_data = eval_data(args.data, args.n, args.seed, args.data in BUILTIN_DATASETS)
    if len(floor_data) < 4:
        raise UsageError(f"--data needs at least 4 rows for the noise floor, got {len(floor_data)}")
    reference = run_.process.space.validate(reference)  # shape, finiteness, support (names rows)
    floor_data = run_.process.space.validate(floor_data)
    device = args.device
    reference, floor_data = reference.to(device), floor_data.to(device)
    with progress(args, setup["steps"], "sampling") as callback:
        samples = draw(run_, setup, args.n, args.seed, device, callback)
    g = torch.Generator().manual_seed(args.seed)
    two = two_sample_report(samples.cpu(), reference.cpu(), floor_data.cpu(), args.n, g)
    n_num = min(args.n, NUMERICAL_N)

    def sample_with(n: int, steps: int) -> torch.Tensor:
        with progress(args, steps, f"numerical term, {steps} steps") as callback:
            return draw(run_, {**setup, "steps": steps}, n, args.seed + 1, device, callback).cpu()

    report = error_report(
        run_.process,
        run_.model,
        run_.built.loss,
        reference,
        sample_with,
        setup["steps"],
        n_num,
        torch.Generator(device=reference.device).manual_seed(args.seed),
        seed=args.seed,
    )
    family = run_.spec.evaluate(run_.process, run_.model, reference) if run_.spec.evaluate else {}
    out = _finite(
        {
            "run": str(run_.dir),
            "process": run_.spec.name,
            "data": args.data,
            "n": args.n,
            "sampler": setup["sampler_name"],
            "steps": setup["steps"],
            "denoise": setup["denoise"],
            "ema": not args.no_ema,
            "step": int(run_.checkpoint["step"]),
            "two_sample": two,
            "error_report": report,
            "family": {k: float(v) for k, v in family.items()},
        }
    )
    text = json.dumps(out)
    tmp = run_.dir / (EVAL + ".tmp")
    tmp.write_text(json.dumps(out, indent=2) + "\n")
    os.replace(tmp, run_.dir / EVAL)
    print(text)
    return 0
