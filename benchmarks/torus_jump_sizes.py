"""``torus-jump`` with a constant against a time-dependent jump size, through the CLI.

    python benchmarks/torus_jump_sizes.py --json docs/results/torus_jump_sizes.json
    python benchmarks/torus_jump_sizes.py --steps 2000 --set hidden=128 depth=2   # a cheaper sweep

For each configuration (``--configs``; ``NAME:KEY=VALUE,KEY=VALUE``) and data set (``--data``:
``torus-checkerboard``, ``torus-swissroll``, ``torus-moons`` and a mixture of four von Mises
products of concentration 50, ``vonmises50``), the script runs
``dmm train --process torus-jump --data D --steps S --set …`` (everything else the CLI's
defaults) and ``dmm sample RUN -n N``, then scores the samples on the periodic embedding
``(cos x, sin x)`` against ``N`` fresh draws of the same data: the C2ST AUC
(:func:`dmm.metrics.c2st_auc`, 0.5 = indistinguishable), the energy distance over its noise floor
(:func:`dmm.metrics.two_sample_report`) and over the mean energy of eight fresh draws against the
same reference (``energy_vs_fresh``, a steadier floor), for the checkerboard the share of samples on black cells
(the data: 1.0, uniform samples: 0.5), for the von Mises mixture the share within 0.3 of a mode.
It also reports the wall-clock seconds of ``dmm train`` (one thread) and the logged losses (first, median, largest; stable:
every logged loss below ``10 max(1, |first|)``). One training at a time, one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from jumps_stability import features, near_modes, von_mises_mixture  # the same data and checks

from dmm.cli.config import writable_file
from dmm.data import load_data
from dmm.demo.torus_jump import black_cell_fraction
from dmm.metrics import c2st_auc, energy_distance, two_sample_report

CONFIGS = {
    "constant-0.6": {},
    "constant-0.6-logistic": {"divergence": "logistic"},
    "0.1-to-0.6-logistic": {"sigma_jump_min": 0.1, "divergence": "logistic"},
    "0.15-to-1.0-logistic": {"sigma_jump_min": 0.15, "sigma_jump": 1.0, "divergence": "logistic"},
}
DATA = ("torus-checkerboard", "torus-swissroll", "torus-moons", "vonmises50")


def draws(name: str, n: int, seed: int) -> np.ndarray:
    if name == "vonmises50":
        return von_mises_mixture(n, 50.0, seed)
    return load_data(name, n, torch.Generator().manual_seed(seed)).numpy()


def dmm(*args: str) -> str | None:
    """Run ``dmm ARGS``; ``None`` on success, else its one-line error (e.g. a diverged training)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    print("$ dmm " + " ".join(args), flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "dmm.cli.main", *args], env=env, stderr=subprocess.PIPE, text=True
    )
    sys.stderr.write(done.stderr)
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or ["(no message)"])[-1]


#: fresh draws of the data whose mean energy distance to the reference is the floor of
#: ``energy_vs_fresh``
FRESH_DRAWS = 8


def _energy(a: np.ndarray, reference: np.ndarray) -> float:
    return energy_distance(features(a), features(reference), unbiased=False)


def fresh_energies(data: str, n: int, reference: np.ndarray, seed: int) -> list[float]:
    """Energy distances (V-statistics, on the periodic features) of :data:`FRESH_DRAWS` fresh
    draws of the data, ``n`` rows each, to ``reference``: their mean is the floor of
    ``energy_vs_fresh``, the expected energy of an exact sample against this reference rather
    than one draw of it."""
    return [_energy(draws(data, n, 5000 + 100 * seed + s), reference) for s in range(FRESH_DRAWS)]


def fresh_floor_report(
    run: Path, data: str, reference: np.ndarray, x: np.ndarray, single_floor: float, args
) -> dict:
    """``energy_vs_fresh`` of the sample ``x`` (and, with ``--sample-seeds S > 1``, of ``S`` draws
    of the same model, ``dmm sample --seed s``, with their mean and standard error), and how the
    fresh draws themselves read on both floors: on the single-pair floor of ``energy_ratio``
    (``fresh_energy_ratios``) and on their own mean (``fresh_vs_fresh``). One draw, of the model
    or of the data, scatters widely on either."""
    fresh = fresh_energies(data, len(x), reference, args.seed)
    floor = float(np.mean(fresh))
    row = {
        "energy_vs_fresh": _energy(x, reference) / floor,
        "fresh_energy_ratios": [e / single_floor for e in fresh],
        "fresh_vs_fresh": [e / floor for e in fresh],
    }
    if args.sample_seeds > 1:
        values = [row["energy_vs_fresh"]]
        for s in range(1, args.sample_seeds):
            path = run / f"samples_seed{s}.npy"
            if not path.exists():
                error = dmm(
                    "sample", str(run), "-n", str(args.n), "-o", str(path), "--seed", str(s)
                )
                if error:
                    raise RuntimeError(error)
            values.append(_energy(np.load(path), reference) / floor)
        row["energy_vs_fresh_draws"] = values
        row["energy_vs_fresh_mean"] = float(np.mean(values))
        row["energy_vs_fresh_se"] = float(np.std(values, ddof=1) / np.sqrt(len(values)))
    return row


def parse_config(text: str) -> tuple[str, dict[str, str]]:
    name, _, rest = text.partition(":")
    pairs = [p for p in rest.split(",") if p]
    return name, dict(p.split("=", 1) for p in pairs)


def run_one(
    data: str, name: str, params: dict, args: argparse.Namespace, out: Path
) -> dict[str, float]:
    run = out / f"{data}_{name}"
    done = (run / "samples.npy").exists() or (run / "error.txt").exists()
    if not (args.resume and done):
        for stale in ("samples.npy", "error.txt"):
            (run / stale).unlink(missing_ok=True)
        source = data
        if data == "vonmises50":
            source = str(out / "vonmises50.npy")
            np.save(source, von_mises_mixture(20000, 50.0, 0))
        sets = [
            f"{k}={v}" for k, v in {**params, **dict(s.split("=", 1) for s in args.set)}.items()
        ]
        t0 = time.perf_counter()
        cmd = ["train", "--process", "torus-jump", "--data", source, "--steps", str(args.steps),
               "--out", str(run), "--force", "--quiet", "--seed", str(args.seed)]  # fmt: skip
        for item in sets:
            cmd += ["--set", item]
        error = dmm(*cmd)
        run.mkdir(parents=True, exist_ok=True)  # dmm removes a run that failed before a checkpoint
        (run / "train_seconds.txt").write_text(str(time.perf_counter() - t0))
        if error:  # recorded: a training that diverges is a result here
            (run / "error.txt").write_text(error)
        else:
            error = dmm("sample", str(run), "-n", str(args.n), "-o", str(run / "samples.npy"))
            if error:
                raise RuntimeError(error)
    lines = (run / "log.jsonl").read_text().splitlines() if (run / "log.jsonl").exists() else []
    log = [json.loads(line) for line in lines]
    losses = [r["loss"] for r in log if "loss" in r]
    if (run / "error.txt").exists():
        return {
            "error": (run / "error.txt").read_text(),
            "train_seconds": float((run / "train_seconds.txt").read_text()),
            "loss_first": losses[0] if losses else None,
            "loss_max": max(losses) if losses else None,
            "stable": False,
        }
    x = np.load(run / "samples.npy")
    held = draws(data, 3 * args.n, 1000 + args.seed)
    report = two_sample_report(
        features(x), features(held[: args.n]), features(held[args.n :]), args.n,
        torch.Generator().manual_seed(0),
    )  # fmt: skip
    row = {
        "c2st_auc": c2st_auc(features(x), features(held[: args.n])),
        "energy_ratio": report["energy_ratio"],
        **fresh_floor_report(run, data, held[: args.n], x, report["energy_floor"], args),
        "train_seconds": float((run / "train_seconds.txt").read_text()),
        "loss_first": losses[0],
        "loss_median": float(np.median(losses)),
        "loss_max": max(losses),
        "stable": max(losses) < 10 * max(1.0, abs(losses[0])),
    }
    if data == "torus-checkerboard":
        row["black_cells"] = black_cell_fraction(torch.tensor(x))
    if data == "vonmises50":
        row["near_modes"] = near_modes(x)
        row["near_modes_data"] = near_modes(held[: args.n])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", nargs="*", default=list(DATA))
    ap.add_argument("--configs", nargs="*", default=[f"{k}:" + ",".join(f"{a}={b}" for a, b in v.items()) for k, v in CONFIGS.items()])  # fmt: skip
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--sample-seeds", type=int, default=1, help="sample draws per model for energy_vs_fresh"
    )
    ap.add_argument("--set", nargs="*", default=[], help="KEY=VALUE for every configuration")
    ap.add_argument("--out", type=Path, default=Path("runs/torus_jump_sizes"))
    ap.add_argument("--json", type=writable_file("--json"))
    ap.add_argument("--resume", action="store_true", help="reuse sampled runs in --out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"steps": args.steps, "n": args.n, "set": args.set, "runs": {}}
    for config in args.configs:
        name, params = parse_config(config)
        for data in args.data:
            row = run_one(data, name, params, args, args.out)
            results["runs"].setdefault(name, {"params": params})[data] = row
            print(json.dumps({name: {data: row}}), flush=True)
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
