"""``dmm sample``: draw samples from a trained run by simulating its backward process."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..reversal import Reversal
from ..samplers import simulate
from .errors import UsageError
from .rundir import Run, load_run, sampler_for


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample",
        help="write samples of a trained run to a .npy file",
        description="Simulate the learned backward process of the run in DIR.",
    )
    p.add_argument("run_dir", metavar="DIR", help="run folder written by dmm train")
    p.add_argument("-n", type=int, required=True, help="number of samples")
    p.add_argument("-o", "--output", required=True, metavar="OUT.npy", help="output .npy file")
    add_sampling_options(p)
    p.add_argument("--force", action="store_true", help="overwrite OUT.npy if it exists")
    p.set_defaults(func=run)


def add_sampling_options(p: argparse.ArgumentParser) -> None:
    """``--steps --sampler --seed --no-ema --denoise/--no-denoise --device`` (shared with eval)."""
    p.add_argument("--steps", type=int, help="sampler steps (default: the run's sample_steps)")
    p.add_argument("--sampler", help="sampler name (default: the run's sampler)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--no-ema", action="store_true", help="use the raw weights instead of the EMA")
    p.add_argument(
        "--denoise",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="end with the process's denoising step (default: the run's setting)",
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda")


def sampling_setup(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    """Sampler, steps and denoise from the run's config and the command line."""
    name, sampler = sampler_for(run, args.sampler)
    steps = args.steps
    if steps is None:
        value = run.sample.get("sample_steps", run.built.sample_steps)
        try:
            steps = int(value)
        except (TypeError, ValueError):
            raise UsageError(
                f"{run.dir / 'config.yaml'}: sample_steps must be an integer, got {value!r}"
            ) from None
    if steps < 1:
        raise UsageError(f"--steps must be positive, got {steps}")
    denoise = args.denoise if args.denoise is not None else bool(run.sample.get("denoise", False))
    if denoise:
        run.process.require("denoiser", "--denoise")
    sampler.check(run.process)  # MissingCapability if it cannot simulate this process
    return {"sampler_name": name, "sampler": sampler, "steps": steps, "denoise": denoise}


def draw(
    run: Run, setup: dict[str, Any], n: int, seed: int, device: str = "cpu", callback=None
) -> Tensor:
    """``n`` samples of the run's model with the sampling ``setup``."""
    if n < 1:
        raise UsageError(f"-n must be positive, got {n}")
    g = torch.Generator(device=device).manual_seed(seed)
    rev = Reversal(run.process, run.model)
    return simulate(
        rev,
        setup["sampler"],
        n,
        setup["steps"],
        g,
        denoise=setup["denoise"],
        callback=callback,
        device=device,
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix != ".npy":
        raise UsageError(f"output must be a .npy file, got '{out}'")
    if out.is_dir():
        raise UsageError(f"output '{out}' is a folder, not a .npy file")
    if out.exists() and not args.force:
        raise UsageError(f"'{out}' already exists; use --force to overwrite it")
    if not out.parent.is_dir():
        raise UsageError(f"output folder '{out.parent}' does not exist")
    run_ = load_run(args.run_dir, ema=not args.no_ema, device=args.device)
    setup = sampling_setup(run_, args)
    y = draw(run_, setup, args.n, args.seed, args.device)
    array = y.cpu().numpy()
    if not y.is_floating_point():
        array = array.astype(np.int64)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.npy")  # unique: concurrent runs
    try:
        np.save(tmp, array)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    finite = bool(torch.isfinite(y).all()) if y.is_floating_point() else True
    extra = "" if finite else " (WARNING: some samples are not finite)"
    if finite and bool(run_.process.space.outside(y).any()):
        extra = f" ({int(run_.process.space.outside(y).sum())} outside the state space)"
    print(
        f"wrote {args.n} samples of shape {tuple(y.shape[1:])} to {out} "
        f"({setup['sampler_name']}, {setup['steps']} steps"
        f"{', denoised' if setup['denoise'] else ''}){extra}"
    )
    return 0
