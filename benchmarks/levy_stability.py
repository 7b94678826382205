"""Does ``levy-ou`` train from the CLI defaults on concentrated data? Each variant of the loss.

    python benchmarks/levy_stability.py --json docs/results/levy_stability.json [--steps 1500]
        [--divergences default kl logistic logistic:4 logistic:4:tail] [--samples N]
        [--set KEY=VALUE ...]

Data: 20 000 draws of four 2-D Gaussians of std ``--std`` (0.05) at ``(±2, ±2)`` (written to
``OUT/narrow.npy``). For each variant (``default``: the CLI's defaults; ``kl``; ``logistic``;
``logistic:M`` with the logit offset ``M``; ``logistic:M:tail`` with the offset counted from the
tail's fixed ratio) the script runs ``dmm train --process levy-ou --data OUT/narrow.npy --steps
S [--set divergence=… --set logistic_offset=M --set offset_from_tail=…] [--set KEY=VALUE …]``
and reports whether the training finished (the trainer stops a run whose batch loss passes
10 000 times its first value, with a one-line error) and its logged losses (first, largest,
last; stable: every logged loss below ``10 max(1, |first|)``). With ``--samples N`` a finished
run is also sampled (``dmm sample RUN -n N``) and compared with ``N`` held-out draws: the
fraction of points within three standard deviations of a mode centre, the median distance to
the nearest centre, and the C2ST AUC.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from dmm.cli.config import writable_file
from dmm.metrics import c2st_auc

MEANS = np.array([[-2.0, -2.0], [-2.0, 2.0], [2.0, -2.0], [2.0, 2.0]])


def narrow_mixture(n: int, std: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = MEANS[rng.integers(0, 4, n)] + std * rng.standard_normal((n, 2))
    return x.astype(np.float32)


def sharpness(x: np.ndarray, std: float) -> dict[str, float]:
    """Fraction of the points within ``3 std`` of a mode centre, and their median distance to
    the nearest centre."""
    d = np.sqrt(((x[:, None, :] - MEANS[None]) ** 2).sum(-1)).min(1)
    return {"near_modes": float((d < 3 * std).mean()), "median_distance": float(np.median(d))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--std", type=float, default=0.05)
    ap.add_argument("--out", type=Path, default=Path("runs/levy_stability"))
    ap.add_argument("--divergences", nargs="+", default=["kl", "logistic"])
    ap.add_argument("--json", type=writable_file("--json"), help="also write the results here")
    ap.add_argument("--samples", type=int, default=0, help="sample finished runs (0: do not)")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="more levy-ou parameters for every run (e.g. jump_scale=0.1)")  # fmt: skip
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / "narrow.npy"
    np.save(data, narrow_mixture(20000, args.std, 0))
    results: dict = {"steps": args.steps, "std": args.std, "set": args.set}
    held = narrow_mixture(max(args.samples, 1), args.std, 1)
    if args.samples:
        results["held_out"] = sharpness(held, args.std)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for variant in args.divergences:
        divergence, _, rest = variant.partition(":")
        offset, _, base = rest.partition(":")
        if base not in ("", "tail"):
            raise SystemExit(f"unknown offset base '{base}' in '{variant}' (known: tail)")
        run = args.out / variant.replace(":", "_")
        cmd = [sys.executable, "-m", "dmm.cli.main", "train", "--process", "levy-ou",
               "--data", str(data), "--steps", str(args.steps), "--out", str(run), "--force",
               "--quiet"]  # fmt: skip
        if divergence != "default":  # every loss setting spelled out, whatever the defaults
            cmd += ["--set", f"divergence={divergence}"]
        if divergence == "logistic":
            cmd += ["--set", f"logistic_offset={offset or 0}"]
            cmd += ["--set", f"offset_from_tail={'true' if base else 'false'}"]
        for item in args.set:
            cmd += ["--set", item]
        print("$ dmm " + " ".join(cmd[3:]), flush=True)
        done = subprocess.run(cmd, env=env, stderr=subprocess.PIPE, text=True)
        log = run / "log.jsonl"
        losses = (
            [json.loads(x)["loss"] for x in log.read_text().splitlines()] if log.exists() else []
        )
        results[variant] = {
            "finished": done.returncode == 0,
            "error": (done.stderr.strip().splitlines() or [""])[-1] if done.returncode else None,
            "loss_first": losses[0] if losses else None,
            "loss_max": max(losses) if losses else None,
            "loss_last": losses[-1] if losses else None,
            "stable": done.returncode == 0
            and bool(losses)
            and max(losses) < 10 * max(1.0, abs(losses[0])),
        }
        if args.samples and done.returncode == 0:
            drawn = run / "samples.npy"
            subprocess.run([sys.executable, "-m", "dmm.cli.main", "sample", str(run), "-n",
                            str(args.samples), "-o", str(drawn), "--force", "--quiet"],
                           env=env, check=True)  # fmt: skip
            x = np.load(drawn)
            results[variant].update(sharpness(x, args.std))
            results[variant]["c2st_auc"] = c2st_auc(torch.from_numpy(x), torch.from_numpy(held))
        print(json.dumps({variant: results[variant]}), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
