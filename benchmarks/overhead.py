"""Overhead of dmm's abstractions against hand-written PyTorch, measured in the same run.

Prints three ratios (target ≤ 1.05 each):
  train:   one dmm training step (DenoisingScoreMatching with ε-weighting + backward + Adam)
           / the same step hand-written (VP, linear schedule, ε-prediction MLP, same batch);
  sample:  one dmm Euler–Maruyama step (Reversal + EulerMaruyama.step) / the same step hand-written;
  product: one step of a product process (VP(2) × absorbing chain, ProductSampler: split the row,
           build each factor's context, step, write back) / the sum of the factors' own steps
           (Euler–Maruyama and the Tweedie step, each driven by the same joint network).

Both sides use the same network instance and batch; timings alternate between the two sides and the
median of many repetitions is reported, so machine noise hits both alike.

    python benchmarks/overhead.py [--batch 256] [--hidden 256] [--reps 300] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from dmm.cli.config import positive_whole
from dmm.losses import DenoisingScoreMatching, eps_weighting
from dmm.networks import MLP
from dmm.processes import VP, AbsorbingChain, product
from dmm.recipe import recipe
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama
from dmm.scores import EpsParam
from dmm.scores.product import factor_context


def hand_train_step(net, opt, x0, g, bmin=0.1, bmax=20.0, t_min=1e-3):
    t = t_min + (1 - t_min) * torch.rand(x0.shape[0], generator=g, device=x0.device)
    big_b = bmin * t + 0.5 * t**2 * (bmax - bmin)
    alpha = torch.exp(-0.5 * big_b)[:, None]
    std = (-torch.expm1(-big_b)).sqrt()[:, None]
    eps = torch.randn(x0.shape, generator=g, device=x0.device)
    xt = alpha * x0 + std * eps
    scale = torch.rsqrt(alpha**2 + std**2)
    loss = 0.5 * ((net(xt * scale, t, None) - eps) ** 2).sum(1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def dmm_train_step(model, loss_fn, opt, x0, g):
    loss = loss_fn(model, x0, g)
    opt.zero_grad()
    loss.backward()
    opt.step()


@torch.no_grad()
def hand_sample_step(net, y, t, t_next, g, bmin=0.1, bmax=20.0):
    beta = (bmin + t * (bmax - bmin))[:, None]
    big_b = bmin * t + 0.5 * t**2 * (bmax - bmin)
    alpha = torch.exp(-0.5 * big_b)[:, None]
    std = (-torch.expm1(-big_b)).sqrt()[:, None]
    score = -net(y * torch.rsqrt(alpha**2 + std**2), t, None) / std
    h = (t - t_next)[:, None]
    xi = torch.randn(y.shape, generator=g, device=y.device)
    return y + (0.5 * beta * y + beta * score) * h + (beta * h).sqrt() * xi


@torch.no_grad()
def dmm_sample_step(rev, sampler, y, t, t_next, g):
    return sampler.step(rev, y, t, t_next, g)


@torch.no_grad()
def factor_steps(process, model, sampler, parts, contexts, t, t_next, g):
    """The factors' own steps, with their contexts ready: what a product step cannot avoid."""
    for k, (factor, step) in enumerate(zip(process.factors, sampler.samplers)):
        step.step(Reversal(factor, model.view(k), contexts[k]), parts[k], t, t_next, g)


def _time(fn, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(
    batch: int, hidden: int, reps: int, device: torch.device, dim: int = 2
) -> dict[str, float]:
    torch.manual_seed(0)
    process = VP(dim)
    net = MLP(dim, dim, hidden=hidden, depth=3).to(device)
    model = EpsParam(net, process)
    loss_fn = DenoisingScoreMatching(process, eps_weighting)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    g = torch.Generator(device=device).manual_seed(0)
    x0 = torch.randn(batch, dim, device=device)
    rev, sampler = Reversal(process, model), EulerMaruyama()
    y = torch.randn(batch, dim, device=device)
    t = torch.full((batch,), 0.5, device=device)
    t_next = torch.full((batch,), 0.498, device=device)
    prod = product(VP(dim), AbsorbingChain(S=5, d=1))
    r = recipe(prod, hidden=hidden, depth=3)
    r.model.to(device)
    rows = prod.reference.sample(batch, g, device)
    parts = prod.space.split(rows)
    contexts = [factor_context(prod.space, rows, k, None) for k in range(len(prod.factors))]
    prod_rev = Reversal(prod, r.model)
    pairs = {
        "train": (
            lambda: hand_train_step(net, opt, x0, g),
            lambda: dmm_train_step(model, loss_fn, opt, x0, g),
        ),
        "sample": (
            lambda: hand_sample_step(net, y, t, t_next, g),
            lambda: dmm_sample_step(rev, sampler, y, t, t_next, g),
        ),
        "product": (
            lambda: factor_steps(prod, r.model, r.sampler, parts, contexts, t, t_next, g),
            lambda: dmm_sample_step(prod_rev, r.sampler, rows, t, t_next, g),
        ),
    }
    out: dict[str, float] = {}
    for name, (hand, ours) in pairs.items():
        for _ in range(20):  # warm-up
            hand(), ours()
        th, to = [], []
        for _ in range(reps):
            th.append(_time(hand, device))
            to.append(_time(ours, device))
        out[f"{name}_hand_ms"] = 1e3 * statistics.median(th)
        out[f"{name}_dmm_ms"] = 1e3 * statistics.median(to)
        out[f"{name}_ratio"] = statistics.median(to) / statistics.median(th)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="dmm overhead vs hand-written PyTorch")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--reps", type=positive_whole("--reps"), default=300)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    res = measure(args.batch, args.hidden, args.reps, torch.device(args.device))
    print(
        f"device={args.device} batch={args.batch} hidden={args.hidden} reps={args.reps} "
        f"threads={torch.get_num_threads()}"
    )
    for name, base in (("train", "hand"), ("sample", "hand"), ("product", "factors")):
        print(
            f"{name:>7}: {base} {res[f'{name}_hand_ms']:.3f} ms  dmm {res[f'{name}_dmm_ms']:.3f} ms"
            f"  ratio {res[f'{name}_ratio']:.3f}  (target <= 1.05)"
        )


if __name__ == "__main__":
    main()
