"""Figures for runs and the demo: samples against data, the loss curve, and a GIF of the backward
process. Matplotlib (Agg backend) and Pillow are optional extras (``pip install dmm[plot]``).

Points of any state space are drawn through their flat coordinates (``x.reshape(n, -1)``): a scatter
for two coordinates, marginals and pair plots for more (the first :data:`MAX_PAIR_DIMS`), and
histograms of the values for a single coordinate or integer (finite-state) data.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

MAX_PAIR_DIMS = 4
MAX_POINTS = 4000


def _flat(x: torch.Tensor | np.ndarray) -> np.ndarray:
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return a.reshape(a.shape[0], -1)


def _limits(*arrays: np.ndarray) -> list[tuple[float, float]]:
    both = np.concatenate([a[np.isfinite(a).all(1)] for a in arrays])
    lo, hi = np.percentile(both, 0.5, axis=0), np.percentile(both, 99.5, axis=0)
    pad = 0.08 * np.maximum(hi - lo, 1e-6)
    return list(zip(lo - pad, hi + pad, strict=True))


def _scatter(ax, a: np.ndarray, i: int, j: int, color: str, label: str | None = None) -> None:
    ax.scatter(
        a[:MAX_POINTS, i],
        a[:MAX_POINTS, j],
        s=2,
        alpha=0.4,
        color=color,
        label=label,
        rasterized=True,
    )


def _hist(ax, a: np.ndarray, i: int, color: str, bins, label: str | None = None) -> None:
    ax.hist(a[:, i], bins=bins, density=True, histtype="step", color=color, label=label)


def _bins(a: np.ndarray, b: np.ndarray, i: int, integer: bool):
    if integer:
        lo, hi = int(min(a[:, i].min(), b[:, i].min())), int(max(a[:, i].max(), b[:, i].max()))
        return np.arange(lo, hi + 2) - 0.5
    lo, hi = _limits(a[:, [i]], b[:, [i]])[0]
    return np.linspace(lo, hi, 41)


def draw_samples(samples, data, title: str = "", fig: Any = None) -> Any:
    """Samples (orange) against data (blue) on ``fig`` (a new figure by default)."""
    s, d = _flat(samples), _flat(data)
    integer = not np.issubdtype(d.dtype, np.floating)
    dim = min(s.shape[1], MAX_PAIR_DIMS)
    if s.shape[1] == 2 and not integer:
        fig = fig or plt.figure(figsize=(8, 4))
        lim = _limits(d)  # the data frame the picture; stray samples are cropped
        for k, (a, name, color) in enumerate(((d, "data", "C0"), (s, "samples", "C1"))):
            ax = fig.add_subplot(1, 2, k + 1)
            _scatter(ax, a, 0, 1, color)
            ax.set_xlim(*lim[0])
            ax.set_ylim(*lim[1])
            ax.set_aspect("equal")
            ax.set_title(name)
            ax.set_xticks([])
            ax.set_yticks([])
    elif dim == 1 or integer:
        dim = min(s.shape[1], 2 * MAX_PAIR_DIMS)
        cols = min(dim, 4)
        rows = math.ceil(dim / cols)
        fig = fig or plt.figure(figsize=(3 * cols, 2.6 * rows))
        for i in range(dim):
            ax = fig.add_subplot(rows, cols, i + 1)
            bins = _bins(d, s, i, integer)
            _hist(ax, d, i, "C0", bins, "data")
            _hist(ax, s, i, "C1", bins, "samples")
            ax.set_title(f"coordinate {i}", fontsize=8)
            if i == 0:
                ax.legend(fontsize=7)
    else:
        fig = fig or plt.figure(figsize=(2.4 * dim, 2.4 * dim))
        lim = _limits(d[:, :dim])
        for i in range(dim):
            for j in range(dim):
                ax = fig.add_subplot(dim, dim, i * dim + j + 1)
                if i == j:
                    bins = _bins(d, s, i, False)
                    _hist(ax, d, i, "C0", bins, "data")
                    _hist(ax, s, i, "C1", bins, "samples")
                else:
                    _scatter(ax, d, j, i, "C0")
                    _scatter(ax, s, j, i, "C1")
                    ax.set_ylim(*lim[i])
                ax.set_xlim(*lim[j])
                ax.set_xticks([])
                ax.set_yticks([])
                if i == dim - 1:
                    ax.set_xlabel(f"x{j}", fontsize=8)
                if j == 0:
                    ax.set_ylabel(f"x{i}", fontsize=8)
        fig.axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_samples(samples, data, path: str | Path, title: str = "") -> Path:
    """Write :func:`draw_samples` to ``path`` (PNG)."""
    fig = draw_samples(samples, data, title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_loss(history: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Training loss (and validation loss where logged) against the step, log scale if positive."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    steps = [r["step"] for r in history]
    loss = [r["loss"] for r in history]
    ax.plot(steps, loss, label="train loss")
    val = [(r["step"], r["val_loss"]) for r in history if "val_loss" in r]
    if val:
        ax.plot(*zip(*val, strict=True), "o-", label="validation loss (EMA)")
    if loss and min(loss + [v for _, v in val]) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_panel(
    data,
    samples,
    path: str | Path,
    title: str = "",
    history: Sequence[dict[str, Any]] | None = None,
) -> Path:
    """A demo panel: data and samples (first two coordinates) side by side, and the loss curve."""
    d, s = _flat(data), _flat(samples)
    cols = 3 if history else 2
    fig = plt.figure(figsize=(3.4 * cols, 3.6))
    lim = _limits(d[:, :2]) if d.shape[1] >= 2 else None
    for k, (a, name, color) in enumerate(((d, "data", "C0"), (s, "samples", "C1"))):
        ax = fig.add_subplot(1, cols, k + 1)
        if lim is not None:
            _scatter(ax, a, 0, 1, color)
            ax.set_xlim(*lim[0])
            ax.set_ylim(*lim[1])
            ax.set_aspect("equal")
        else:
            _hist(ax, a, 0, color, _bins(d, s, 0, not np.issubdtype(d.dtype, np.floating)))
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if history:
        ax = fig.add_subplot(1, cols, 3)
        ax.plot([r["step"] for r in history], [r["loss"] for r in history], lw=1)
        ax.set_xlabel("step", fontsize=8)
        ax.set_title("training loss", fontsize=10)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def _frame(y: np.ndarray, t: float, lim, integer: bool, data: np.ndarray) -> Image.Image:
    fig, ax = plt.subplots(figsize=(3.6, 3.6))
    if y.shape[1] >= 2 and not integer:
        _scatter(ax, data, 0, 1, "0.85")
        _scatter(ax, y, 0, 1, "C1")
        ax.set_xlim(*lim[0])
        ax.set_ylim(*lim[1])
        ax.set_aspect("equal")
    else:
        bins = _bins(data, y, 0, integer)
        _hist(ax, data, 0, "0.6", bins)
        _hist(ax, y, 0, "C1", bins)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"backward process, t = {t:.3f}", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("P", palette=Image.Palette.ADAPTIVE)


def backward_gif(
    frames: Sequence[tuple[float, torch.Tensor]], data, path: str | Path, duration_ms: int = 120
) -> Path:
    """A GIF of the backward process from ``(t, y_t)`` snapshots, over the data in grey."""
    d = _flat(data)
    arrays = [(t, _flat(y)) for t, y in frames]
    integer = not np.issubdtype(d.dtype, np.floating)
    lim = _limits(d, arrays[-1][1]) if d.shape[1] >= 2 and not integer else None
    images = [_frame(a, t, lim, integer, d) for t, a in arrays]
    images += [images[-1]] * 8  # rest on the final samples
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return Path(path)


def gallery(tiles: Sequence[tuple[str, Path]], path: str | Path, width: int = 1400) -> Path:
    """One row per panel: each panel's PNG scaled to ``width`` pixels under its title."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=22)
    rows = []
    for title, png in tiles:
        im = Image.open(png).convert("RGB")
        im = im.resize((width, max(1, round(im.height * width / im.width))), Image.LANCZOS)
        lines = title.splitlines() or [""]
        band = Image.new("RGB", (width, 14 + 30 * len(lines)), "white")
        draw = ImageDraw.Draw(band)
        for k, line in enumerate(lines):
            draw.text((16, 8 + 30 * k), line, fill="black", font=font)
        rows += [band, im]
    out = Image.new("RGB", (width, sum(r.height for r in rows) or 1), "white")
    y = 0
    for r in rows:
        out.paste(r, (0, y))
        y += r.height
    out.save(path)
    return Path(path)


__all__ = [
    "backward_gif",
    "draw_samples",
    "gallery",
    "plot_loss",
    "plot_panel",
    "plot_samples",
]
