"""Train Brownian DMMs on SO(3): a mixture of K wrapped normals, and symmetric-solid pose generation
(conditional on a G-invariant view vs unconditional). Prints one JSON line of metrics.

    python examples/manifold_so3.py mixture --K 16 --steps 3000
    python examples/manifold_so3.py solid --solid octahedral --steps 3000            # conditional
    python examples/manifold_so3.py solid --solid octahedral --steps 3000 --unconditional
    python examples/manifold_so3.py solid --solid octahedral --oracle   # exact score, no training
    python examples/manifold_so3.py solid --solid octahedral --body-frame  # equivariant model
    python examples/manifold_so3.py mixture --K 16 --loglik 512   # + ODE log-likelihood (nats/Haar)
    python examples/manifold_so3.py mixture --K 64 --device cuda              # on a GPU
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch

from dmm.cli.config import positive_whole
from dmm.data.so3 import (
    mixture_means,
    so3_mixture,
    so3_mixture_log_prob,
    symmetric_solid,
    symmetry_group,
    view_context,
)
from dmm.losses import DenoisingScoreMatching
from dmm.metrics.so3 import fraction_within, mode_coverage, symmetric_pose_metrics
from dmm.networks import MLP, SymmetricTensorLayout
from dmm.processes.manifold_brownian import GeometricSchedule, Haar, SO3Brownian, SO3MixtureScore
from dmm.processes.manifold_likelihood import so3_log_likelihood
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, PredictorCorrector, simulate
from dmm.scores import BodyFrameScore, ScoreParam
from dmm.training import TrainConfig, train

ANGLE = math.radians(20)  # "within a fixed angle": 20°, twice the per-axis data std of 0.1 rad


class ViewFeatureScore(ScoreParam):
    """``ScoreParam`` whose network also reads the view moments of ``y`` itself (28 numbers), so it
    can compare the candidate pose with the context directly."""

    solid = "octahedral"

    def features(self, y, t):
        return torch.cat([super().features(y, t), view_context(y, self.solid)], 1)


VIEW_LAYOUT = SymmetricTensorLayout((1, 3, 4))  # the moment tensors of view_context


def build(context_dim: int, hidden: int, solid: str | None = None, body_frame: bool = False):
    process = SO3Brownian(GeometricSchedule(0.02, 3.0))
    if body_frame:  # equivariant: the network reads only the view in the pose's body frame
        return process, BodyFrameScore(MLP(VIEW_LAYOUT.dim, 3, hidden, 3), process, VIEW_LAYOUT)
    if solid is None:
        return process, ScoreParam(MLP(9, 3, hidden, 3, context_dim), process)
    model = ViewFeatureScore(MLP(9 + 28, 3, hidden, 3, context_dim), process)
    model.solid = solid
    return process, model


def config(args) -> TrainConfig:
    return TrainConfig(
        steps=args.steps,
        batch_size=args.batch,
        lr=args.lr,
        seed=args.seed,
        log_every=500,
        val_every=args.steps,
        checkpoint_every=10**9,
        device=args.device,
    )


def sample(args, rev: Reversal, sampler, n: int):
    gen = torch.Generator(device=args.device).manual_seed(7)
    return simulate(rev, sampler, n, args.sample_steps, gen, device=args.device).cpu()


def run_mixture(args) -> dict:
    g = torch.Generator().manual_seed(args.seed)
    data = so3_mixture(20000, g, args.K)
    process, model = build(0, args.hidden)
    result = train(
        model,
        DenoisingScoreMatching(process),
        data,
        config(args),
    )
    means = mixture_means(args.K)
    out = {"task": f"so3-mixture-{args.K}", "steps": args.steps, "hidden": args.hidden}
    out["batch"], out["lr"], out["device"] = args.batch, args.lr, args.device
    exact = so3_mixture(args.n, torch.Generator().manual_seed(99), args.K)
    out["data_within"] = fraction_within(exact, means, ANGLE)
    out["data_coverage"] = mode_coverage(exact, means, ANGLE)
    for name, sampler in [("em", EulerMaruyama()), ("pc", PredictorCorrector())]:
        x = sample(args, Reversal(process, result.ema), sampler, args.n)
        out[f"{name}_within"] = fraction_within(x, means, ANGLE)
        out[f"{name}_coverage"] = mode_coverage(x, means, ANGLE)
    haar = Haar().sample(args.n, torch.Generator().manual_seed(5))
    out["haar_within"] = fraction_within(haar, means, ANGLE)
    if args.loglik:  # nats w.r.t. normalised Haar (Haar itself: 0), on held-out data
        test = exact[: args.loglik]
        rev = Reversal(process, result.ema)
        ll = so3_log_likelihood(rev, test.to(args.device), steps=args.loglik_steps).cpu()
        out["model_loglik"] = float(ll.mean())
        out["model_loglik_se"] = float(ll.std() / len(ll) ** 0.5)
        out["data_loglik"] = float(so3_mixture_log_prob(test, args.K).mean())
        out["loglik_n"], out["loglik_steps"] = len(test), args.loglik_steps
    return out


def run_solid(args) -> dict:
    g = torch.Generator().manual_seed(args.seed)
    poses, context = symmetric_solid(20000, g, args.solid)
    conditional = not args.unconditional
    ctx_dim = context.shape[1] if conditional else 0
    if args.body_frame and not conditional:
        raise SystemExit("--body-frame needs the view: drop --unconditional")
    process, model = build(
        0 if args.body_frame else ctx_dim,
        args.hidden,
        args.solid if args.view_features else None,
        args.body_frame,
    )
    if not args.oracle:
        model = train(
            model,
            DenoisingScoreMatching(process),
            poses,
            config(args),
            context=context if conditional else None,
        ).ema
    group = symmetry_group(args.solid)
    views = Haar().sample(args.views, torch.Generator().manual_seed(11))
    prec, cov, med, full = [], [], [], 0
    per_view = args.n // args.views
    for r in views:
        ctx = view_context(r[None], args.solid).expand(per_view, -1) if conditional else None
        ctx = None if ctx is None else ctx.to(args.device)
        if args.oracle:  # the exact conditional score: a mixture of |G| point masses at R g
            model = SO3MixtureScore(process, (r[None] @ group).to(args.device))
        x = sample(args, Reversal(process, model, ctx), EulerMaruyama(), per_view)
        m = symmetric_pose_metrics(x, r, group, ANGLE)
        prec.append(m["precision"])
        cov.append(m["coverage"])
        med.append(math.degrees(m["median_angle"]))
        full += m["coverage"] == 1.0
    model_name = (
        "exact score"
        if args.oracle
        else "BodyFrameScore"
        if args.body_frame
        else ("ScoreParam+view features" if args.view_features else "ScoreParam")
    )
    return {
        "task": f"solid-{args.solid}",
        "conditional": conditional,
        "model": model_name,
        "steps": 0 if args.oracle else args.steps,
        "group_order": len(group),
        "samples_per_view": per_view,
        "precision": sum(prec) / len(prec),
        "coverage": sum(cov) / len(cov),
        "views_all_poses_found": full / len(views),
        "median_error_deg": sum(med) / len(med),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["mixture", "solid"])
    ap.add_argument("--K", type=positive_whole("--K"), default=16)
    ap.add_argument(
        "--solid", default="octahedral", choices=("tetrahedral", "octahedral", "cyclic")
    )
    ap.add_argument("--unconditional", action="store_true")
    ap.add_argument(
        "--view-features",
        action="store_true",
        help="the network also reads the view moments of the pose it scores",
    )
    ap.add_argument(
        "--body-frame",
        action="store_true",
        help="equivariant BodyFrameScore: the network reads the view rotated into the pose's frame",
    )
    ap.add_argument("--oracle", action="store_true", help="exact conditional score, no training")
    ap.add_argument("--batch", type=positive_whole("--batch"), default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument(
        "--loglik",
        type=int,
        default=0,
        help="mixture: log-likelihood (probability-flow ODE) of this many held-out samples",
    )
    ap.add_argument("--loglik-steps", type=positive_whole("--loglik-steps"), default=200)
    ap.add_argument("--steps", type=positive_whole("--steps"), default=3000)
    ap.add_argument("--hidden", type=positive_whole("--hidden"), default=256)
    ap.add_argument("--n", type=positive_whole("--n"), default=2048)
    ap.add_argument("--views", type=positive_whole("--views"), default=8)
    ap.add_argument("--sample-steps", type=positive_whole("--sample-steps"), default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    out = run_mixture(args) if args.task == "mixture" else run_solid(args)
    out["seconds"] = round(time.time() - start, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
