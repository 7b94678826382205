"""The training loop: Adam with warm-up, gradient clipping, EMA, validation, JSONL log, atomic
checkpoints, exact resume, and data parallelism under ``torchrun``.

Randomness: one ``torch.Generator`` (seeded by ``config.seed``) draws every batch and, per step, the
seeds of the micro-batches. Micro-batch ``k`` of a step always uses the same seed whoever computes
it, so ``world_size`` processes with ``micro_batches = world_size`` reproduce one process that
accumulates the same micro-batches (gradients are averaged either way). The generator state is saved in
every checkpoint, so a resumed run continues exactly where the interrupted one was.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import json
import math
import numbers
import os
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from .losses import Loss
from .networks.context import checked_context, reads_context
from .networks.dtype import at_model_dtype

if TYPE_CHECKING:
    import numpy as np

    from .processes.base import Process

CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable or corrupt."""


#: a step loss above this multiple of ``|loss|`` at the first step (the untrained model's) is
#: divergence; ordinary training stays far below it (benchmarks/divergence_margin.py: over 400
#: default steps of eleven catalogue processes the largest ratio was 30, for levy-ou, whose loss
#: crosses zero; ``vp`` with ``lr=10`` crossed the threshold at step 68)
DIVERGENCE_FACTOR = 1e4
#: ... where the first loss is exactly 0 (an implicit score-matching loss of a network whose
#: output starts at 0: no scale), that multiple of the median ``|loss|`` of this many last steps
DIVERGENCE_WINDOW = 20
#: seeds are integers in ``[0, MAX_SEED]``: room for the offsets derived seeds add, below 2^63
MAX_SEED = 2**62


def _exploded(loss: float, scale: float | None, recent: collections.deque[float]) -> str:
    """What ``loss`` exploded over (``''``: it did not): ``DIVERGENCE_FACTOR`` times the
    first step's ``|loss|`` ``scale``, or where that is 0, times the median ``|loss|`` of the
    last ``DIVERGENCE_WINDOW`` steps ``recent`` (no test until there are that many)."""
    if scale is None:
        return ""
    if scale > 0:
        reference, what = scale, f"the first step's {scale:.3g}"
    elif len(recent) == recent.maxlen:
        reference = sorted(recent)[len(recent) // 2]
        what = f"the median {reference:.3g} of the last {len(recent)} steps (the first was 0)"
    else:
        return ""
    return what if reference > 0 and loss > DIVERGENCE_FACTOR * reference else ""


class Divergence(FloatingPointError):
    """Training stopped: a non-finite loss, gradient or weight, or a loss that exploded.

    ``step`` is the step that diverged (its update was not applied); ``checkpoint_step`` the step
    of the last checkpoint written before it (``0``: none).
    """

    def __init__(self, reason: str, step: int, checkpoint_step: int) -> None:
        self.reason, self.step, self.checkpoint_step = reason, step, checkpoint_step
        kept = (
            f"the checkpoint of step {checkpoint_step} is kept"
            if checkpoint_step
            else "no checkpoint had been written"
        )
        super().__init__(f"{reason} at step {step + 1}; {kept}")


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`train` (all have CPU-sized defaults)."""

    steps: int = field(default=5000, metadata={"help": "number of optimiser steps"})
    batch_size: int = field(
        default=256, metadata={"help": "training rows per step (summed over micro-batches)"}
    )
    lr: float = field(default=2e-3, metadata={"help": "peak learning rate of Adam"})
    warmup: int = field(
        default=200,
        metadata={
            "help": "steps of linear warm-up from 0 to lr at the start (at most a fifth of steps)"
        },
    )
    lr_schedule: str = field(
        default="cosine",
        metadata={"help": "after warm-up: cosine (decays to lr/10 at the last step) or constant"},
    )
    grad_clip: float = field(
        default=1.0, metadata={"help": "gradients are rescaled to at most this global norm"}
    )
    ema_decay: float = field(
        default=0.999,
        metadata={"help": "decay of the weights' moving average used for sampling (0 = no EMA)"},
    )
    seed: int = field(
        default=0,
        metadata={"help": "seed of the batches (dmm train: --seed, which also seeds the weights)"},
    )
    log_every: int = field(
        default=100, metadata={"help": "steps between rows of log.jsonl (and progress updates)"}
    )
    val_every: int = field(
        default=500, metadata={"help": "steps between validation losses (EMA weights)"}
    )
    val_size: int = field(
        default=2048, metadata={"help": "rows of the validation set (fresh draws for built-ins)"}
    )
    checkpoint_every: int = field(
        default=1000, metadata={"help": "steps between atomic writes of checkpoint.pt"}
    )
    micro_batches: int = field(
        default=1,
        metadata={"help": "splits each batch into this many parts (gradients summed; less memory)"},
    )
    device: str = field(default="cpu", metadata={"help": "cpu, cuda or cuda:N"})
    row_tilt: float = field(
        default=0.0,
        metadata={
            "help": "importance sampling of x_0: rows drawn with probability proportional to "
            "(1 + |x_0|^2)^(tilt/2), each loss term weighted back (the same expected loss; "
            "more tail rows per batch for heavy-tailed data; 0 = uniform rows)"
        },
    )
    schedule_steps: int = field(
        default=0,
        metadata={
            "help": "steps the learning-rate schedule spans (0: all the steps); later steps keep "
            "its last rate (a run resumed with more steps continues where its schedule ended)"
        },
    )

    def __post_init__(self) -> None:
        counts = ("steps", "batch_size", "log_every", "val_every", "checkpoint_every")
        counts += ("micro_batches", "val_size", "warmup", "seed", "schedule_steps")
        for name in counts:  # whole numbers (1000.0 is 1000; 2.5, nan, '10' and True are not)
            value = getattr(self, name)
            whole = isinstance(value, numbers.Integral) or (
                isinstance(value, numbers.Real)
                and math.isfinite(value)
                and float(value) == int(value)
            )
            if isinstance(value, bool) or not whole:
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            setattr(self, name, int(value))
        for name in ("lr", "grad_clip", "ema_decay", "row_tilt"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
        for name in counts[:7]:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.lr <= 0 or self.grad_clip <= 0 or not 0 <= self.ema_decay < 1 or self.warmup < 0:
            raise ValueError("need lr > 0, grad_clip > 0, 0 <= ema_decay < 1, warmup >= 0")
        if self.schedule_steps < 0:
            raise ValueError(f"schedule_steps must be >= 0, got {self.schedule_steps}")
        if self.lr_schedule not in ("cosine", "constant"):
            raise ValueError(
                f"lr_schedule must be 'cosine' or 'constant', got {self.lr_schedule!r}"
            )
        if self.batch_size % self.micro_batches:
            raise ValueError("batch_size must be a multiple of micro_batches")
        if not (math.isfinite(self.row_tilt) and 0 <= self.row_tilt <= 4):
            raise ValueError(f"row_tilt must be in [0, 4], got {self.row_tilt}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be an integer in [0, {MAX_SEED}], got {self.seed}")


@dataclass
class TrainResult:
    """The trained model, its EMA copy (use it for sampling) and the logged history."""

    model: nn.Module
    ema: nn.Module
    history: list[dict[str, Any]] = field(default_factory=list)
    step: int = 0


def training_rows(process: Process | None, data: Tensor | np.ndarray, model: nn.Module) -> Tensor:
    """``data`` (a tensor or an array) as the loss reads it: at ``model``'s dtype on a continuous
    space, then checked by ``process``'s space (shape, finiteness, support: a
    :class:`~dmm.spaces.SupportError` names the rows, also those the cast made infinite or zero;
    flat rows of a space of matrices are reshaped)."""
    data = at_model_dtype(data, model)
    if data.dim() == 0 or len(data) == 0:
        raise ValueError(f"data has no rows (shape {tuple(data.shape)})")
    return at_model_dtype(data if process is None else process.space.validate(data), model)


def learning_rate(config: TrainConfig, step: int) -> float:
    """Linear warm-up to ``lr`` over ``warmup`` steps, at most a fifth of the schedule (a short
    run reaches its peak rate), then constant or cosine decay to ``lr/10`` at the schedule's last
    step (``schedule_steps``, by default ``steps``), and that rate after it."""
    span = config.schedule_steps or config.steps
    warmup = min(config.warmup, span // 5)
    if step < warmup:
        return config.lr * (step + 1) / warmup
    if config.lr_schedule == "constant":
        return config.lr
    frac = (step - warmup) / max(span - warmup, 1)
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


def _dist() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def init_distributed(device: str) -> tuple[int, int]:
    """Join the process group when launched by ``torchrun`` (``WORLD_SIZE > 1``); gloo on CPU."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        torch.distributed.init_process_group(backend)
    return _dist()


def save_atomic(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file, fsync, then rename: a crash leaves the old file intact,
    and a failed write (a full disk) no temporary either."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path | str, device: str = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`train` (``path``: the file, or the ``run_dir`` that
    holds it): a dict with ``"model"`` and ``"ema"`` state dicts (load one into a model built
    the same way, e.g. by :func:`dmm.recipe.recipe`), ``"step"`` and ``"history"``;
    :class:`CheckpointError` if it is unusable."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:  # tensors and plain values only: a checkpoint whose pickle would run code is refused
        state = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "unsupported global" in str(exc).lower():  # a callable: unpickling would run it
            raise CheckpointError(
                f"refusing checkpoint {path}: it holds objects other than tensors and plain "
                "values, and loading it could run code"
            ) from None
        raise CheckpointError(_unreadable(path, exc)) from None
    except OSError as exc:  # no permission, an I/O error: the file may be whole
        raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from None
    except MemoryError:
        raise
    except Exception as exc:  # torch's reader: a cut-off zip, or a device this machine lacks
        if "cuda" in str(exc).lower() or "device" in str(exc).lower():
            raise CheckpointError(
                f"cannot load checkpoint {path} on {device}: {' '.join(str(exc).split())[:200]}"
            ) from None
        raise CheckpointError(_unreadable(path, exc)) from None
    if not isinstance(state, dict) or not {"model", "ema", "step"} <= set(state):
        raise CheckpointError(f"corrupt checkpoint {path}: missing model/ema/step")
    step = state["step"]
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise CheckpointError(f"corrupt checkpoint {path}: step is {step!r}")
    if not all(isinstance(state[k], dict) for k in ("model", "ema")):
        raise CheckpointError(f"corrupt checkpoint {path}: model/ema are not state dicts")
    return state


def _unreadable(path: Path, exc: BaseException) -> str:
    """Why ``path`` is no checkpoint, in words (an empty or cut-off file), then torch's error."""
    size = path.stat().st_size
    what = "is empty (0 bytes)" if size == 0 else f"is not a whole checkpoint ({size} bytes)"
    return (
        f"corrupt checkpoint {path}: the file {what}, cut off by a full disk or an interrupted "
        f"copy, or another kind of file ({type(exc).__name__}); retrain, or copy it again"
    )


#: training settings a resumed run may change: they decide how far it goes, where, and what it
#: logs, not the weights of the steps it takes (``micro_batches`` splits a batch into parts whose
#: gradients are summed: the same step up to rounding; ``torchrun`` sets one part per process)
RESUMABLE_CHANGES = (
    "steps",
    "device",
    "log_every",
    "val_every",
    "checkpoint_every",
    "val_size",
    "micro_batches",
)


def continued(config: TrainConfig, saved: dict[str, Any] | None, path: Path) -> TrainConfig:
    """``config`` for a run resumed from a checkpoint trained with ``saved`` (its ``"config"``):
    the learning-rate schedule keeps the span it was planned with (more steps continue at its
    last rate, fewer stop inside it), and a change to any setting that decides the weights (not
    in :data:`RESUMABLE_CHANGES`) is a :class:`CheckpointError` naming it."""
    if not isinstance(saved, dict):  # a checkpoint from before configs were stored
        return config
    span = saved.get("schedule_steps") or saved.get("steps")
    if not config.schedule_steps and isinstance(span, int) and span != config.steps:
        config = dataclasses.replace(config, schedule_steps=span)
    now = asdict(config)
    then = {**now, **{k: v for k, v in saved.items() if k in now}}
    then["schedule_steps"] = saved.get("schedule_steps") or saved.get("steps", config.steps)
    if not now["schedule_steps"]:
        now["schedule_steps"] = config.steps
    changed = [
        f"{k} {now[k]!r} (the checkpoint's {then[k]!r})"
        for k in now
        if k not in RESUMABLE_CHANGES and now[k] != then[k]
    ]
    if changed:
        raise CheckpointError(
            f"the run in {path.parent} was trained with other settings: {', '.join(changed)}; "
            f"a resumed run keeps them (only {', '.join(RESUMABLE_CHANGES)} may change)"
        )
    return config


def check_resumable(state: dict[str, Any], path: Path) -> None:
    """:class:`CheckpointError` unless ``state`` (from :func:`load_checkpoint`) holds what
    :func:`train` needs to continue: the optimizer, the generator state and the history."""
    missing = [k for k in ("optimizer", "generator", "history") if k not in state]
    if missing:
        raise CheckpointError(f"checkpoint {path} cannot be resumed: no {', '.join(missing)}")
    if not isinstance(state["generator"], torch.Tensor) or not isinstance(state["history"], list):
        raise CheckpointError(f"corrupt checkpoint {path}: generator/history")


def adam(model: nn.Module, lr: float) -> torch.optim.Adam:
    """The trainer's optimiser: Adam with the multi-tensor (``foreach``) update on every device,
    which torch uses by default on GPUs only. On a CPU it updates a network's parameters in a
    few calls instead of several per parameter tensor, with the same result to every bit (the
    same element-wise arithmetic; tested)."""
    return torch.optim.Adam(model.parameters(), lr=lr, foreach=True)


@torch.no_grad()
def _ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """``θ_ema ← θ_ema + (1 - decay)(θ - θ_ema)``, all parameters in one multi-tensor call."""
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)


def tilted_rows(data: Tensor, tilt: float) -> tuple[Tensor, Tensor]:
    r"""Importance sampling of the training rows: the law ``q_i ∝ w_i = (1 + |x_0^i|²)^{a/2}``,
    ``a = tilt``, and the weights ``1/(N q_i) = mean(w)/w_i``.

    Every loss is an average over the data, ``(1/N) Σ_i ℓ(x_0^i) = E_{i~q}[ℓ(x_0^i)/(N q_i)]``:
    rows drawn from ``q`` with their terms multiplied by the weights give the same expected loss,
    the same minimiser and the same report. What changes is which rows reach a batch: for
    heavy-tailed data, whose far rows decide the tail quantiles but reach a batch of 256 once in
    several steps at ``q`` uniform, ``a > 0`` draws them more often with weights below 1
    (``mean(w)/w_i ≤ mean(w)``, since ``w_i ≥ 1``). Rows are read as vectors of ``R^d``: ``data``
    must be floating point. Returns ``(q, weights)``, both ``(N,)``."""
    if not data.is_floating_point():
        raise ValueError("row_tilt needs rows of real numbers (|x_0| is their Euclidean norm)")
    sq = data.reshape(data.shape[0], -1).to(torch.float64).pow(2).sum(1)
    log_w = 0.5 * tilt * torch.log1p(sq)
    q = torch.softmax(log_w, 0)
    return q.to(torch.float32), (1.0 / (data.shape[0] * q)).to(data.dtype)


def _validation_loss(
    loss: Loss, model: nn.Module, data: Tensor, context: Tensor | None, seed: int, chunk: int = 1024
) -> float:
    g = torch.Generator(device=data.device).manual_seed(seed)
    total = 0.0
    for i in range(0, len(data), chunk):
        ctx = None if context is None else context[i : i + chunk]
        with torch.enable_grad():  # some losses differentiate the model (ISM, potentials)
            total += loss.per_sample(model, data[i : i + chunk], g, ctx).detach().sum().item()
    return total / len(data)


def train(
    model: nn.Module,
    loss: Loss,
    data: Tensor,
    config: TrainConfig,
    *,
    context: Tensor | None = None,
    val_data: Tensor | None = None,
    val_context: Tensor | None = None,
    run_dir: Path | str | None = None,
    resume: bool = False,
    progress: bool = False,
) -> TrainResult:
    """Minimise ``loss`` over ``data`` (and ``context`` rows, if conditional) with Adam.

    With ``run_dir`` the loop appends to ``log.jsonl`` and writes ``checkpoint.pt`` atomically every
    ``checkpoint_every`` steps and at the end; ``resume=True`` continues from that checkpoint and
    gives the same result as an uninterrupted run (same device, same seed).
    """
    rank, world = _dist()
    if config.micro_batches % world:
        raise ValueError(
            f"micro_batches ({config.micro_batches}) must be a multiple of the world size ({world})"
        )
    device = torch.device(config.device)
    model.to(device)
    process = getattr(loss, "process", None)  # a loss of the user's own may have none
    data = training_rows(process, data, model).to(device)
    width = reads_context(model)  # a loss that shows the network cells of the row adds its own
    width = None if width is None else width - int(getattr(loss, "width", 0))
    width = None if width is not None and width < 0 else width
    context = checked_context(context, len(data), width)
    context = None if context is None else at_model_dtype(context, model).to(device)
    if world > 1:
        for p in model.parameters():
            torch.distributed.broadcast(p.data, 0)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = adam(model, config.lr)
    g = torch.Generator(device=device).manual_seed(config.seed)
    run_dir = Path(run_dir) if run_dir is not None else None
    history: list[dict[str, Any]] = []
    start, running, count = 0, 0.0, 0  # loss sum and steps since the last log row
    scale: float | None = None  # |loss| of the untrained model, at the first step
    recent: collections.deque[float] = collections.deque(maxlen=DIVERGENCE_WINDOW)
    saved = 0  # the step of the last checkpoint written
    if resume:
        if run_dir is None:
            raise ValueError("resume needs run_dir")
        state = load_checkpoint(run_dir / CHECKPOINT, config.device)
        check_resumable(state, run_dir / CHECKPOINT)
        config = continued(config, state.get("config"), run_dir / CHECKPOINT)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        g.set_state(state["generator"].to(g.device) if device.type != "cpu" else state["generator"])
        start, history = state["step"], state["history"]
        running, count = state.get("log_accumulator", (0.0, 0))
        scale = state.get("loss_scale", abs(history[0]["loss"]) if history else None)
        recent.extend(state.get("loss_window", ()))
    if val_data is None:
        val_data, val_context = (
            data[: config.val_size],
            None if context is None else context[: config.val_size],
        )
    val_data = training_rows(process, val_data, model).to(device)
    val_context = checked_context(val_context, len(val_data), width, "val_context")
    val_context = None if val_context is None else at_model_dtype(val_context, model).to(device)
    if run_dir is not None and rank == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
        _rewrite_log(run_dir / LOG, history)

    rows, row_weight = (None, None)
    if config.row_tilt > 0:
        if not hasattr(loss, "per_sample"):
            raise TypeError("row_tilt needs a loss with per_sample (the terms are reweighted)")
        rows, row_weight = tilted_rows(data, config.row_tilt)
    local = [k for k in range(config.micro_batches) if k % world == rank]
    micro = config.batch_size // config.micro_batches
    steps = range(start, config.steps)
    bar = None
    if progress and rank == 0:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=config.steps, initial=start, desc="training", dynamic_ncols=True)
        except ImportError:
            bar = None
    for step in steps:
        if rows is None:
            idx = torch.randint(0, len(data), (config.batch_size,), generator=g, device=device)
        else:
            idx = torch.multinomial(rows, config.batch_size, replacement=True, generator=g)
        seeds = torch.randint(
            0, 2**62, (config.micro_batches,), generator=g, device=device
        ).tolist()
        for group in opt.param_groups:
            group["lr"] = learning_rate(config, step)
        opt.zero_grad(set_to_none=False)
        step_loss = torch.zeros((), device=device)
        for k in local:
            part = idx[k * micro : (k + 1) * micro]
            gk = torch.Generator(device=device).manual_seed(seeds[k])
            ctx = None if context is None else context[part]
            if row_weight is None:
                value = loss(model, data[part], gk, ctx) / config.micro_batches
            else:
                per = loss.per_sample(model, data[part], gk, ctx)
                value = (row_weight[part] * per).mean() / config.micro_batches
            value.backward()
            step_loss += value.detach()
        if world > 1:
            _all_reduce_grads(model, step_loss)
        loss_value = step_loss.item()
        if not math.isfinite(loss_value):
            raise Divergence(f"the loss is {loss_value}", step, saved or start)
        exploded = _exploded(loss_value, scale, recent)
        if exploded:
            raise Divergence(
                f"the loss exploded to {loss_value:.3g} (over {DIVERGENCE_FACTOR:g} times "
                f"{exploded})",
                step,
                saved or start,
            )
        recent.append(abs(loss_value))
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        if not torch.isfinite(norm):
            raise Divergence(f"the gradient norm is {float(norm)}", step, saved or start)
        opt.step()  # finite clipped gradients and a finite lr keep the weights finite
        if scale is None:
            scale = abs(loss_value)
        decay = min(config.ema_decay, (1 + step) / (10 + step))
        _ema_update(ema, model, decay)
        running, count = running + loss_value, count + 1
        done = step + 1
        if done % config.log_every == 0 or done == config.steps:
            row: dict[str, Any] = {
                "step": done,
                "loss": running / count,  # the steps since the last row, across a resume too
                "lr": learning_rate(config, step),
            }
            running, count = 0.0, 0
            if done % config.val_every == 0 or done == config.steps:
                row["val_loss"] = _validation_loss(loss, ema, val_data, val_context, config.seed)
            history.append(row)
            if run_dir is not None and rank == 0:
                with open(run_dir / LOG, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
            if bar is not None:
                bar.set_postfix(loss=f"{row['loss']:.4g}")
        if bar is not None:
            bar.update(1)
        if (
            run_dir is not None
            and rank == 0
            and (done % config.checkpoint_every == 0 or done == config.steps)
        ):
            save_atomic(
                {
                    "model": model.state_dict(),
                    "ema": ema.state_dict(),
                    "optimizer": opt.state_dict(),
                    "generator": g.get_state(),
                    "step": done,
                    "history": history,
                    "log_accumulator": (running, count),
                    "loss_scale": scale,
                    "loss_window": list(recent),
                    "config": asdict(config),
                },
                run_dir / CHECKPOINT,
            )
            saved = done
    if bar is not None:
        bar.close()
    return TrainResult(model, ema, history, config.steps)


def _all_reduce_grads(model: nn.Module, step_loss: Tensor) -> None:
    # gradients (and the logged loss) summed over ranks; each rank already divided by micro_batches
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    flat = torch.cat([gr.reshape(-1) for gr in grads] + [step_loss.reshape(1)])
    torch.distributed.all_reduce(flat)
    offset = 0
    for gr in grads:
        gr.copy_(flat[offset : offset + gr.numel()].view_as(gr))
        offset += gr.numel()
    step_loss.copy_(flat[-1])


def _rewrite_log(path: Path, history: list[dict[str, Any]]) -> None:
    # the log mirrors the checkpoint's history: rows written after the last checkpoint are dropped
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in history))
    os.replace(tmp, path)
