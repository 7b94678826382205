"""Digits (8×8, 17 grey levels) with the chain DMMs: NLL bound on the test split, class-conditional
samples judged by a classifier trained on real digits, and inpainting PSNR against two baselines.

    python benchmarks/chains_digits.py --process absorbing --steps 2000            # NLL bound
    python benchmarks/chains_digits.py --process absorbing --steps 2000 --conditional  # +
    class/inpaint

Writes ``docs/results/chains_digits_<process>[_cond].json`` and
``docs/figures/chains_digits_...png`` (``--out`` and ``--figure`` elsewhere).
CPU-sized: an MLP backbone, the registry default (``network=auto``) for digits; ``--network
transformer`` is 7.4× slower per step on CPU (``benchmarks/chains_network_cost.py``)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

from dmm.cli.catalog import build
from dmm.cli.config import positive_whole, writable_file
from dmm.data.digits import digits_split
from dmm.metrics.chains import chain_evaluate
from dmm.reversal import Reversal
from dmm.samplers import Inpaint, simulate
from dmm.samplers.chains import sample_denoised
from dmm.training import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]


def psnr(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor, peak: float = 16.0) -> torch.Tensor:
    """Per-image PSNR (dB) on the masked pixels, peak value 16."""
    mse = (((a.double() - b.double()) ** 2) * mask).sum(1) / mask.sum(1)
    return 10 * torch.log10(peak**2 / mse.clamp_min(1e-10))


def sample(rev, sampler, n, steps, g, y_init=None):
    y = simulate(rev, sampler, n, steps=steps, generator=g, y_init=y_init)
    return sample_denoised(rev, y, torch.full((n,), rev.process.t_min), g)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--process", default="absorbing", choices=["uniform", "absorbing", "ordinal"])
    ap.add_argument("--steps", type=positive_whole("--steps"), default=2000)
    ap.add_argument("--conditional", action="store_true")
    ap.add_argument("--network", default="mlp")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--sample-steps", type=positive_whole("--sample-steps"), default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--t-min", type=float, default=1e-3)
    ap.add_argument("--inpaint-draws", type=int, default=8)
    ap.add_argument(
        "--out",
        type=writable_file("--out"),
        help="the JSON written (default: docs/results/chains_digits_<process>[_cond].json of this "
        "repository, a committed result)",
    )
    ap.add_argument(
        "--figure",
        type=writable_file("--figure"),
        help="the figure drawn (default: docs/figures/chains_digits_<process>[_cond].png of this "
        "repository)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    t_start = time.time()
    split = digits_split()
    x_tr, y_tr, x_te, y_te = split["x_train"], split["y_train"], split["x_test"], split["y_test"]
    ctx_tr = torch.nn.functional.one_hot(y_tr, 10).float() if args.conditional else None
    ctx_te = torch.nn.functional.one_hot(y_te, 10).float() if args.conditional else None

    params = {"network": args.network, "hidden": args.hidden, "S": 17, "t_min": args.t_min}
    context_dim = 10 if args.conditional else 0
    built = build(args.process, x_tr, params, context_dim=context_dim, seed=args.seed)
    process = built.process
    config = TrainConfig(
        steps=args.steps,
        batch_size=128,
        lr=1e-3,
        warmup=100,
        ema_decay=0.995,
        seed=args.seed,
        log_every=250,
        val_every=10**9,
        checkpoint_every=10**9,
    )
    result = train(built.model, built.loss, built.data, config, context=ctx_tr)
    ema = result.ema.eval()
    train_s = time.time() - t_start
    out: dict = {
        "process": args.process,
        "conditional": args.conditional,
        "train_steps": args.steps,
        "network": args.network,
        "hidden": args.hidden,
        "t_min": args.t_min,
        "train_seconds": round(train_s, 1),
    }
    with torch.no_grad():
        out["test"] = chain_evaluate(process, ema, x_te, ctx_te, seed=1, n_time=8)
        g = torch.Generator().manual_seed(args.seed + 10)
        sampler = built.sampler("tweedie")
        figs = {}
        if not args.conditional:
            figs["samples"] = sample(Reversal(process, ema), sampler, 64, args.sample_steps, g)
        else:
            from sklearn.linear_model import LogisticRegression

            clf = LogisticRegression(max_iter=3000).fit(x_tr.numpy() / 16, y_tr.numpy())
            out["classifier_test_accuracy_real"] = float(clf.score(x_te.numpy() / 16, y_te.numpy()))
            labels = torch.arange(10).repeat_interleave(50)
            rev = Reversal(process, ema, torch.nn.functional.one_hot(labels, 10).float())
            xs = sample(rev, sampler, len(labels), args.sample_steps, g)
            out["classifier_accuracy_on_samples"] = float(
                clf.score(xs.numpy() / 16, labels.numpy())
            )
            figs["samples"] = xs.reshape(10, 50, 64)[:, :8].reshape(80, 64)
            # inpainting: hide the bottom half (rows 4..7) of each test image, given the label
            hidden = torch.zeros(64, dtype=torch.bool)
            hidden[32:] = True
            n, k = len(x_te), args.inpaint_draws
            rev = Reversal(process, ema, ctx_te.repeat(k, 1))
            inp = Inpaint(sampler, ~hidden, x_te.repeat(k, 1))
            xk = sample(
                rev, inp, n * k, args.sample_steps, g, y_init=inp.initial(process, n * k, g)
            )
            xk = torch.where(hidden, xk, x_te.repeat(k, 1)).reshape(k, n, 64)
            xi = xk[0]
            m = hidden.double().expand(n, -1)
            mean_fill = torch.where(hidden, x_tr.double().mean(0).round().long(), x_te)
            d2 = ((x_te[:, None, ~hidden].double() - x_tr[None, :, ~hidden].double()) ** 2).sum(-1)
            nearest = torch.where(hidden, x_tr[d2.argmin(1)], x_te)
            out["inpainting_psnr_db"] = {
                "model_one_draw": float(psnr(xi, x_te, m).mean()),
                f"model_mean_of_{k}_draws": float(psnr(xk.double().mean(0), x_te, m).mean()),
                "mean_fill": float(psnr(mean_fill, x_te, m).mean()),
                "nearest_training_image": float(psnr(nearest, x_te, m).mean()),
            }
            figs["inpainting"] = torch.cat([x_te[:8], torch.where(hidden, 0, x_te)[:8], xi[:8]])
    out["total_seconds"] = round(time.time() - t_start, 1)
    out["command"] = "python benchmarks/chains_digits.py " + " ".join(sys.argv[1:])  # as run
    tag = f"chains_digits_{args.process}" + ("_cond" if args.conditional else "")
    json_path = args.out or ROOT / f"docs/results/{tag}.json"
    figure = args.figure or ROOT / f"docs/figures/{tag}.png"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(out, indent=2))
    _figure(figs, figure)
    print(json.dumps(out, indent=2))
    print(f"wrote {json_path} and {figure}")


def _figure(figs: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(figs), figsize=(5 * len(figs), 5), squeeze=False)
    for ax, (name, imgs) in zip(axes[0], figs.items(), strict=True):
        cols = 8
        rows = math.ceil(len(imgs) / cols)
        canvas = torch.zeros(rows * 9, cols * 9)
        for k, im in enumerate(imgs):
            r, c = divmod(k, cols)
            canvas[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8] = im.reshape(8, 8).float()
        ax.imshow(canvas.numpy(), cmap="gray_r", vmin=0, vmax=16)
        ax.set_title(name)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
