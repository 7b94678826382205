"""VP with and without data standardisation (``--set standardise=true|false``), from the CLI.

For each data set, ``dmm train --process vp`` twice (the same seed and budget), then ``dmm eval``
with the probability-flow ODE (Heun, 50 steps) against data the model never saw: the held-out
rows of a file, fresh draws of a built-in. Prints the C2ST AUC, the energy distance over its noise
floor and the terminal KL of the error report.

    python benchmarks/standardise.py --json docs/results/standardise.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from dmm.cli.config import writable_file
from dmm.cli.main import main

#: name -> (data spec maker, training steps)
SETS = {
    "breast-cancer (sklearn, 30 features)": ("breast_cancer", 1500),
    "checkerboard (built-in)": ("checkerboard", 3000),
}


def _data(name: str, folder: Path) -> str:
    if name != "breast_cancer":
        return name
    from sklearn.datasets import load_breast_cancer

    path = folder / "breast_cancer.npy"
    np.save(path, load_breast_cancer().data.astype(np.float32))
    return str(path)


#: the settings the recorded table was measured with (vp's defaults until 2026-12-02)
PINNED = ["--set", "schedule=linear", "--set", "target=conditional"]


def run_cli(argv: list[str]) -> str:
    """``dmm ARGV`` in this process; its stdout (exits on a non-zero status)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    if status != 0:
        raise SystemExit(f"dmm {' '.join(argv)} exited {status}")
    return out.getvalue()


def train_cpu_seconds(argv: list[str]) -> float:
    """``dmm train ARGV --quiet`` in this process; the CPU seconds it took (one thread)."""
    start = time.process_time()
    run_cli(["train", *argv, "--quiet"])
    return time.process_time() - start


def score_rows(run: Path, seeds: int, **fields) -> list[dict]:
    """``dmm eval RUN --seed k`` for ``k = 0 .. seeds - 1``: one row per seed, ``fields`` and its
    C2ST AUC and share off the support (``None`` without a known support), each printed."""
    rows = []
    for k in range(seeds):
        two = json.loads(run_cli(["eval", str(run), "--seed", str(k), "--quiet"]))["two_sample"]
        off = two.get("off_support")
        rows.append({**fields, "sample_seed": k, "c2st_auc": two["c2st_auc"], "off_support": off})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def mean_scores(rows: list[dict]) -> tuple[float, float | None, list[float]]:
    """The mean C2ST AUC of ``rows`` (from :func:`score_rows`), the mean share off the support
    (``None`` without a known support) and each share."""
    offs = [r["off_support"] for r in rows if r["off_support"] is not None]
    auc = sum(r["c2st_auc"] for r in rows) / len(rows)
    return auc, sum(offs) / len(offs) if offs else None, offs


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, (name, steps) in SETS.items():
            data = _data(name, folder)
            for standardise in (False, True):
                run = folder / f"{name}-{standardise}"
                run_cli(
                    ["train", "--process", "vp", "--data", data, "--out", str(run), "--quiet"]
                    + ["--steps", str(steps), "--set", f"standardise={str(standardise).lower()}"]
                    + PINNED
                )
                report = json.loads(
                    run_cli(["eval", str(run), "--sampler", "ode-heun", "--steps", "50", "--quiet"])
                )
                two = report["two_sample"]
                row = {
                    "data": label,
                    "standardise": standardise,
                    "steps": steps,
                    "n": report["n"],
                    "reference": report["reference"],
                    "c2st_auc": two["c2st_auc"],
                    "energy_ratio": two["energy_ratio"],
                    "terminal_kl": report["error_report"]["terminal"]["value"],
                }
                rows.append(row)
                print(
                    f"{label:<38} standardise={str(standardise):<5} C2ST AUC {row['c2st_auc']:.3f}"
                    f"  energy/floor {row['energy_ratio']:.2f}  terminal KL {row['terminal_kl']:.3g}"
                    f"  (n={row['n']})",
                    flush=True,
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main_()
