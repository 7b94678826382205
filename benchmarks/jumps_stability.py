"""Is ``torus-jump`` training stable on concentrated data? The CLI defaults with each divergence.

    python benchmarks/jumps_stability.py [--steps 3000] [--kappa 50] [--out runs/jumps_stability]
        [--json docs/results/jumps_stability.json] [--resume]

Data: 20 000 draws of a mixture of four products of von Mises laws of concentration ``kappa`` on
``[-π, π)²`` (written to ``OUT/vm.npy``). For each divergence (``kl``: score entropy, ``logistic``)
the script runs ``dmm train --process torus-jump --set divergence=…`` and ``dmm sample -n 2000``,
and reports the logged training losses (first, median, maximum; the stability criterion: every
logged loss below ``10 max(1, |first logged loss|)``), the fraction of samples within 0.3 of a
mode centre (a sharpness check; the held-out data's own fraction beside it) and the C2ST AUC on
``(cos, sin)`` features against 2000 held-out draws.
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

MODES = np.array([[-2.0, -2.0], [-2.0, 1.0], [1.0, -1.0], [2.5, 2.5]])


def von_mises_mixture(n: int, kappa: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.integers(0, len(MODES), n)
    x = np.stack([rng.vonmises(MODES[c, i], kappa) for i in range(2)], 1)
    return x.astype(np.float32)


def near_modes(x: np.ndarray, radius: float = 0.3) -> float:
    d = np.angle(np.exp(1j * (x[:, None, :] - MODES[None])))  # wrapped differences
    return float((np.sqrt((d**2).sum(-1)).min(1) < radius).mean())


def features(x: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.concatenate([np.cos(x), np.sin(x)], 1), dtype=torch.float32)


def dmm(*args: str) -> str | None:
    """Run ``dmm ARGS``, its output streamed through; the error line where training diverged
    (the trainer stops a loss 10^4 times its first), ``None`` where it ran through, and a
    ``CalledProcessError`` for any other failure."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    print("$ dmm " + " ".join(args), flush=True)
    command = [sys.executable, "-m", "dmm.cli.main", *args]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    diverged = None
    for line in process.stderr:  # type: ignore[union-attr]
        sys.stderr.write(line)
        if line.startswith("dmm: error: training diverged"):
            diverged = line.strip()
    if process.wait() == 0:
        return None
    if diverged is not None:
        return diverged
    raise subprocess.CalledProcessError(process.returncode, command)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--kappa", type=float, default=50.0)
    ap.add_argument("--out", type=Path, default=Path("runs/jumps_stability"))
    ap.add_argument("--json", type=writable_file("--json"), help="also write the results here")
    ap.add_argument("--resume", action="store_true", help="reuse sampled runs in --out")
    ap.add_argument("--divergences", nargs="*", default=["kl", "logistic"])
    args = ap.parse_args()
    if args.steps < 1:
        ap.error("--steps must be at least 1")
    unknown = sorted(set(args.divergences) - {"kl", "logistic"})
    if unknown or not args.divergences:
        ap.error(f"--divergences takes kl and/or logistic, got {args.divergences}")
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / "vm.npy"
    np.save(data, von_mises_mixture(20000, args.kappa, 0))
    held = von_mises_mixture(2000, args.kappa, 1)
    results = {"kappa": args.kappa, "steps": args.steps, "held_out_near_modes": near_modes(held)}
    for divergence in args.divergences:
        run = args.out / divergence
        if args.resume and (run / "samples.npy").exists():
            print(f"(reusing {run})")
        else:
            error = dmm("train", "--process", "torus-jump", "--data", str(data), "--steps",
                        str(args.steps), "--set", f"divergence={divergence}", "--out", str(run),
                        "--force", "--quiet")  # fmt: skip
            if error is not None:  # diverged: recorded, and the next divergence runs
                log = run / "log.jsonl"
                rows = log.read_text().splitlines() if log.exists() else []
                losses = [json.loads(row)["loss"] for row in rows]
                results[divergence] = {
                    "finished": False,
                    "error": error,
                    "loss_first": losses[0] if losses else None,
                    "loss_max": max(losses) if losses else None,
                }
                print(json.dumps({divergence: results[divergence]}), flush=True)
                continue
            dmm("sample", str(run), "-n", "2000", "-o", str(run / "samples.npy"), "--force")
        losses = [json.loads(line)["loss"] for line in (run / "log.jsonl").read_text().splitlines()]
        x = np.load(run / "samples.npy")
        results[divergence] = {
            "finished": True,
            "loss_first": losses[0],
            "loss_median": float(np.median(losses)),
            "loss_max": max(losses),
            "stable": max(losses) < 10 * max(1.0, abs(losses[0])),
            "near_modes": near_modes(x),
            "c2st_auc": c2st_auc(features(x), features(held)),
        }
        print(json.dumps({divergence: results[divergence]}), flush=True)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
