"""The two user-process files of docs/extending.md, trained from the command line as a user would.

* ``examples/processes/jump_diffusion.py`` (OU drift + Brownian part + Gaussian jumps, no kernel:
  implicit losses, simulated reference) on the built-in 2-D Gaussian mixture ``8gaussians``:
  energy distance against fresh draws over its noise floor, and the C2ST AUC.
* ``examples/processes/mixed.py`` (``product(VP(2), AbsorbingChain(S=5, d=1))``) on a table whose
  category (0..4) shifts the mean of the two real columns: total variation of the category
  marginal, per-category means and covariances against held-out rows, and the C2ST AUC on the
  joint (category one-hot).

Every step is a ``dmm`` command (``train``, ``sample``); held-out data are fresh draws.

    python benchmarks/user_processes.py [--steps-jd 3000] [--steps-mixed 3000] [--out runs/user]
        [--only jump-diffusion|mixed] [--json docs/results/user_processes.json]

With ``--json`` the parts run are written into the file (each with its command line); the other
parts already there are kept.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from dmm.cli.config import writable_file
from dmm.data import load_data
from dmm.metrics import c2st_auc, energy_distance

ROOT = Path(__file__).resolve().parents[1]
N = 2000


def dmm(*args: str) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "dmm.cli.main", *args]
    print("$ dmm " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True, env=env)


def train_and_sample(process: str, data: str, steps: int, out: Path, resume: bool) -> np.ndarray:
    run = out / Path(process.split(":")[0]).stem
    if resume and (run / "checkpoint.pt").exists():
        print(f"(reusing {run})")
    else:
        dmm("train", "--process", process, "--data", data, "--steps", str(steps),
            "--out", str(run), "--force", "--quiet")  # fmt: skip
    samples = run / "samples.npy"
    dmm("sample", str(run), "-n", str(N), "-o", str(samples), "--force")
    return np.load(samples)


def floor_of(draw, reference: torch.Tensor, reps: int = 4) -> float:
    """Energy distance between independent exact samples of size ``N`` (mean of ``reps``)."""
    return sum(energy_distance(draw(), reference, unbiased=False) for _ in range(reps)) / reps


def jump_diffusion(args) -> dict:
    x = torch.from_numpy(
        train_and_sample(
            "examples/processes/jump_diffusion.py:make", "8gaussians", args.steps_jd, args.out,
            args.resume,
        )
    ).float()  # fmt: skip
    g = torch.Generator().manual_seed(12345)
    test = load_data("8gaussians", N, g)
    ed = energy_distance(x, test, unbiased=False)
    floor = floor_of(lambda: load_data("8gaussians", N, g), test)
    return {
        "data": "8gaussians",
        "steps": args.steps_jd,
        "n": N,
        "energy_distance": ed,
        "energy_floor": floor,
        "energy_ratio": ed / floor,
        "c2st_auc": c2st_auc(x, test),
        "c2st_auc_floor": c2st_auc(load_data("8gaussians", N, g), test),
    }


PROBS = torch.tensor([0.35, 0.25, 0.2, 0.12, 0.08])
ANGLES = 2 * math.pi * torch.arange(5) / 5


def mixed_table(n: int, g: torch.Generator) -> torch.Tensor:
    """Category ``c ~ PROBS``; real part ``N(2.5 (cos, sin)(2πc/5), Σ_c)``, ``Σ_c`` stretched along
    the direction of its mean by ``1 + c/4``."""
    c = torch.multinomial(PROBS, n, replacement=True, generator=g)
    u = torch.stack([ANGLES[c].cos(), ANGLES[c].sin()], 1)
    z = torch.randn(n, 2, generator=g)
    along = (z * u).sum(1, keepdim=True) * u
    x = 2.5 * u + 0.3 * (z + (c[:, None] / 4.0) * along)
    return torch.cat([x, c[:, None].float()], 1)


def mixed(args) -> dict:
    g = torch.Generator().manual_seed(7)
    path = args.out / "mixed_train.npy"
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(path, mixed_table(10000, g).numpy())
    rows = torch.from_numpy(
        train_and_sample("examples/processes/mixed.py:make", str(path), args.steps_mixed,
                         args.out, args.resume)
    ).float()  # fmt: skip
    test = mixed_table(N, torch.Generator().manual_seed(12345))
    out = {"data": "mixed_table (benchmarks/user_processes.py)", "steps": args.steps_mixed, "n": N}
    pc = torch.bincount(rows[:, 2].long(), minlength=5)[:5].double() / len(rows)
    pt = torch.bincount(test[:, 2].long(), minlength=5).double() / len(test)
    out["category_tv"] = 0.5 * float((pc - pt).abs().sum())
    per = []
    for k in range(5):
        a, b = rows[rows[:, 2] == k, :2], test[test[:, 2] == k, :2]
        per.append(
            {
                "category": k,
                "share": [float(pc[k]), float(pt[k])],
                "mean": [a.mean(0).tolist(), b.mean(0).tolist()],
                "cov": [torch.cov(a.T).flatten().tolist(), torch.cov(b.T).flatten().tolist()],
            }
        )
    out["per_category"] = per

    def onehot(r: torch.Tensor) -> torch.Tensor:
        return torch.cat([r[:, :2], torch.nn.functional.one_hot(r[:, 2].long(), 5).float()], 1)

    out["c2st_auc"] = c2st_auc(onehot(rows), onehot(test))
    fresh = mixed_table(N, torch.Generator().manual_seed(99))
    out["c2st_auc_floor"] = c2st_auc(onehot(fresh), onehot(test))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps-jd", type=int, default=3000)
    parser.add_argument("--steps-mixed", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=Path("runs/user"))
    parser.add_argument("--only", choices=("jump-diffusion", "mixed"))
    parser.add_argument("--resume", action="store_true", help="reuse trained runs in --out")
    parser.add_argument("--json", type=writable_file("--json"), help="also write the results here")
    args = parser.parse_args()
    os.chdir(ROOT)
    torch.set_num_threads(1)
    results = {}
    if args.only in (None, "jump-diffusion"):
        results["jump_diffusion"] = jump_diffusion(args)
    if args.only in (None, "mixed"):
        results["mixed"] = mixed(args)
    command = "python benchmarks/user_processes.py " + " ".join(sys.argv[1:])
    for part in results.values():
        part["command"] = command
    print(json.dumps(results, indent=1))
    if args.json:  # parts not run this time are kept from the file
        old = json.loads(args.json.read_text()) if args.json.exists() else {}
        old.pop("command", None)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**old, **results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
