"""Why does ``levy-ou``'s ``kl`` loss blow up on concentrated data? A diagnosis, no sampling.

    python benchmarks/levy_overshoot.py --json docs/results/levy_overshoot.json [--steps 1500]

1. Trains ``levy-ou`` from the CLI defaults (``divergence=kl``) on the narrow mixture of
   ``benchmarks/levy_stability.py`` (four 2-D Gaussians of std 0.05 at ``(±2, ±2)``) with the
   trainer's divergence guard switched off, logging every 20 steps.
2. With the trained (non-EMA) weights, evaluates the loss's per-sample terms on 40 fresh batches of
   256 rows and reports their spread; for the largest term, its time, the kernel ratios
   ``log r = log p_{t|Γ}(y + w) - log p_{t|Γ}(y)`` and the model's ``log ρ_θ(y, y + w)`` over 64
   fresh proposals.
3. Repeats step 2 with the loss's anchor ``h`` (a Cauchy at 0) replaced by a mixture of Cauchy
   laws centred at the batch's own ``x_t`` (scales 0.03, 0.1, 0.3): whether better-placed
   proposals tame the spread.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from levy_stability import narrow_mixture  # noqa: E402

from dmm.cli.config import writable_file


class BatchCauchy:
    """``h(x) = mean_j Cauchy_s(x - c_j)``: a Cauchy mixture centred at the rows ``c``."""

    def __init__(self, centres: torch.Tensor, scale: float) -> None:
        from dmm.processes.jump_laws import StudentTJumps

        self.centres, self.law = centres, StudentTJumps(centres.shape[1], 1.0, scale)
        self.dim = centres.shape[1]

    def sample(self, shape, generator, like):
        pick = torch.randint(0, len(self.centres), shape, generator=generator)
        return self.centres[pick] + self.law.sample(shape, generator, like)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        lp = self.law.log_prob(flat[:, None, :] - self.centres[None])
        return (torch.logsumexp(lp, 1) - math.log(len(self.centres))).reshape(x.shape[:-1])


def per_sample_terms(run, data: torch.Tensor, anchor_scale: float | None, batches: int = 40):
    """The loss's per-sample terms on ``batches`` fresh batches (seeds 100, 101, …), and the
    draws of the largest one."""
    loss, model, proc = run.built.loss, run.model, run.process
    terms, largest = [], None
    for b in range(batches):
        g = torch.Generator().manual_seed(100 + b)
        x0 = data[torch.randint(0, len(data), (256,), generator=g)]
        t, _ = loss.times.draw(proc, 256, g, x0.device)
        noised = loss.noise(x0, t, g)
        loss.anchor.law = None if anchor_scale is None else BatchCauchy(noised.xt, anchor_scale)
        with torch.no_grad():
            per = loss.term(model, x0, noised, t, g)
        terms.append(per)
        i = int(per.argmax())
        if largest is None or per[i] > largest[0]:
            largest = (float(per[i]), noised, t, i)
    loss.anchor.law = None
    return torch.cat(terms), torch.stack([p.mean() for p in terms]), largest


def inspect_term(run, largest) -> dict:
    """Kernel and model log-ratios over 64 fresh proposals from the largest term's ``y``."""
    from dmm.losses.score_entropy_jumps import _destinations
    from dmm.scores.jump_ratios import proposal_log_ratios

    loss, model, proc = run.built.loss, run.model, run.process
    value, noised, t, i = largest
    y, latent, ti = noised.xt[i : i + 1], noised.latent[i : i + 1], t[i : i + 1]
    with torch.no_grad():
        g = torch.Generator().manual_seed(7)
        xs, _ = _destinations(proc, loss.jumps, loss.anchor, y, ti, 64, g)
        model_lr = proposal_log_ratios(model, y, xs.reshape(1, 64, -1), ti, None).reshape(-1)
        at_y = proc.latent_log_density(y, latent, ti)
        log_r = proc.latent_log_density(xs, latent.repeat(64, 1), ti.repeat(64)) - at_y
    j = int(model_lr.argmax())
    return {
        "value": value,
        "t": float(ti),
        "on_atom": bool(noised.atom[i]),
        "y": y[0].tolist(),
        "max_kernel_log_r": float(log_r.max()),
        "max_model_log_ratio": float(model_lr[j]),
        "kernel_log_r_there": float(log_r[j]),
        "destination_there": xs[j].tolist(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--out", type=Path, default=Path("runs/levy_overshoot"))
    ap.add_argument("--json", type=writable_file("--json"), help="also write the results here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    import dmm.training
    from dmm.cli.main import main as dmm_main
    from dmm.cli.rundir import load_run

    args.out.mkdir(parents=True, exist_ok=True)
    data_file = args.out / "narrow.npy"
    np.save(data_file, narrow_mixture(20000, 0.05, 0))
    dmm.training.DIVERGENCE_FACTOR = math.inf  # the guard off: watch the loss instead
    run_dir = args.out / "kl"
    cmd = ["train", "--process", "levy-ou", "--data", str(data_file), "--steps", str(args.steps),
           "--set", "log_every=20", "--out", str(run_dir), "--force", "--quiet"]  # fmt: skip
    print("$ dmm " + " ".join(cmd) + "   (divergence guard off)", flush=True)
    dmm_main(cmd)
    logged = [json.loads(x)["loss"] for x in (run_dir / "log.jsonl").read_text().splitlines()]
    run = load_run(run_dir, ema=False)
    data = torch.from_numpy(np.load(run_dir / "data.npy"))
    results: dict = {
        "steps": args.steps,
        "logged_loss": {
            "first": logged[0],
            "median": float(np.median(logged)),
            "max": max(logged),
            "last": logged[-1],
            "rows_above_10": sum(v > 10 for v in logged),
            "rows": len(logged),
        },
    }
    for name, scale in (
        ("anchor at 0", None),
        *((f"batch Cauchy {s}", s) for s in (0.03, 0.1, 0.3)),
    ):
        terms, means, largest = per_sample_terms(run, data, scale)
        q = torch.quantile(terms, torch.tensor([0.5, 0.99, 0.999]))
        results[name] = {
            "term_median": float(q[0]),
            "term_q0.99": float(q[1]),
            "term_q0.999": float(q[2]),
            "term_max": float(terms.max()),
            "term_sd": float(terms.std()),
            "batch_mean_median": float(means.median()),
            "batch_mean_max": float(means.max()),
        }
        if scale is None:
            results[name]["largest_term"] = inspect_term(run, largest)
        print(json.dumps({name: results[name]}), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
