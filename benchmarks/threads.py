"""Two jobs on one machine: torch's default threads against ``--threads`` splitting the cores.

    python benchmarks/threads.py [--seconds 20] [--json docs/results/threads.json]

A ``vp`` training step (the CLI's model at hidden 256, depth 3, batch 256, on ``moons``) is run
for ``--seconds`` of wall time, alone and beside a second process running the same steps, each
with torch's default number of threads (one per core) and with ``cores // 2`` threads each (what
``dmm train --threads N`` sets). Prints steps per second of wall time, and each case over the
job alone at the default (the ratio that matters: how much slower a job gets when another one
shares the machine). Wall time, not CPU time: the cost of threads that wait is waiting.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from dmm.cli.catalog import build
from dmm.cli.config import writable_file
from dmm.data import moons

#: torch's own choice of threads in this process (one per core)
DEFAULT = torch.get_num_threads()


def stepper():
    """One training step of ``vp`` (loss + backward + Adam) as a closure."""
    g = torch.Generator().manual_seed(0)
    data = moons(4096, g)
    built = build("vp", data, {"hidden": 256, "depth": 3})
    model, loss = built.model, built.loss
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    batch = data[:256]

    def step():
        opt.zero_grad()
        loss(model, batch, g).backward()
        opt.step()

    return step


def steps_per_second(seconds: float) -> float:
    step = stepper()
    for _ in range(5):  # warm-up
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - t0)


def measure(threads: int, beside: bool, seconds: float) -> float:
    """Steps per second of one job with ``threads`` threads (0: torch's default), alone or
    beside a second job with the same setting."""
    other = None
    if beside:
        cmd = [sys.executable, __file__, "--busy", str(seconds + 10), "--threads", str(threads)]
        other = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        time.sleep(3)  # its import and warm-up
    try:
        if threads:
            torch.set_num_threads(threads)
        return steps_per_second(seconds)
    finally:
        torch.set_num_threads(DEFAULT)
        if other is not None:
            other.kill()
            other.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--json", type=writable_file("--json"), default=None)
    ap.add_argument("--busy", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.seconds <= 0:
        ap.error(f"--seconds must be positive, got {args.seconds}")
    if args.busy is None and os.environ.get("OMP_NUM_THREADS") == "1":
        print(
            "threads.py: OMP_NUM_THREADS=1 makes torch's default one thread, so 'default' and "
            "'1 thread' measure the same thing: run it without OMP_NUM_THREADS",
            file=sys.stderr,
        )
    if args.busy is not None:  # the second job
        if args.threads:
            torch.set_num_threads(args.threads)
        steps_per_second(args.busy)
        return
    half = max(1, (os.cpu_count() or 2) // 2)
    rows = []
    for label, threads, beside in (
        (f"alone, default ({DEFAULT} threads)", 0, False),
        (f"alone, {half} thread(s)", half, False),
        (f"beside another job, both default ({DEFAULT} threads each)", 0, True),
        (f"beside another job, both {half} thread(s)", half, True),
    ):
        rate = measure(threads, beside, args.seconds)
        rows.append({"case": label, "steps_per_s": rate})
    for r in rows:
        r["vs_alone_default"] = r["steps_per_s"] / rows[0]["steps_per_s"]
        print(f"{r['case']:55s} {r['steps_per_s']:8.1f} steps/s  {r['vs_alone_default']:.2f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps({"cpu_count": os.cpu_count(), "rows": rows}, indent=2)
        )


if __name__ == "__main__":
    main()
