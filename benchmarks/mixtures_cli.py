"""`vp` from the plain CLI defaults on the 5-D and 10-D mixtures of ``peers.py`` (one narrow
component, one broad correlated one), as a user would run it on a data file.

For each dimension: 20 000 rows (seed 0) written to a ``.npy`` file, ``dmm train --process vp
--data FILE`` with every default (5000 steps, ``vp``'s batch of 1024 since 2026-12-03 and 256
before; the file's last 10% held out), then ``dmm eval RUN`` with its defaults (the held-out
rows, the run's default sampler). Prints the C2ST AUC, k-NN precision and recall, the energy
distance over its noise floor, and the training CPU seconds; the metrics issue asks for AUC at
most 0.6.

    python benchmarks/mixtures_cli.py --json docs/results/mixtures_cli.json
    python benchmarks/mixtures_cli.py --set fourier=2      # a setting changed from the defaults
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from peers import gmm  # the sibling scripts
from standardise import run_cli

from dmm.cli.config import writable_file


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dims", nargs="+", type=int, default=[5, 10])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument(
        "--set", dest="sets", nargs="*", default=[], help="KEY=VALUE settings passed to dmm train"
    )
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for dim in args.dims:
            data = Path(tmp) / f"gmm{dim}.npy"
            np.save(data, gmm(dim, args.rows, torch.Generator().manual_seed(0)).numpy())
            run = Path(tmp) / f"run{dim}"
            start = time.process_time()
            sets = [arg for item in args.sets for arg in ("--set", item)]
            run_cli(
                [
                    "train",
                    "--process",
                    "vp",
                    "--data",
                    str(data),
                    "--out",
                    str(run),
                    "--quiet",
                    *sets,
                ]
            )
            cpu = time.process_time() - start
            report = json.loads(run_cli(["eval", str(run), "--quiet"]))
            two = report["two_sample"]
            row = {
                "dim": dim,
                "set": args.sets,
                "reference": report["reference"],
                "sampler": report["sampler"],
                "nfe": report["nfe"],
                "c2st_auc": two["c2st_auc"],
                "precision": two["precision"],
                "recall": two["recall"],
                "energy_ratio": two["energy_ratio"],
                "train_cpu_s": cpu,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main_()
