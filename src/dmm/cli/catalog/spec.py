"""Catalogue entries: how the command line turns a process name and ``KEY=VALUE`` parameters into
library objects. Strings stop here; the library takes objects.

An entry has defaults (``params``), the values each string parameter may take (``choices``), checks
and coerces a user's overrides (:meth:`Entry.with_params`, the one place parameters are
type-checked), makes the process from training data
(:meth:`Entry.make`) and derives the model, loss and samplers for it (:meth:`Entry.parts`).
:class:`ProcessSpec` is a named catalogue entry; :mod:`.user` adds entries for a user's own process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from torch import Tensor, nn

from ...losses import Loss
from ...processes import Process
from ...samplers import Sampler
from ..errors import UsageError
from ..scaling import ColumnScaling


@dataclass(frozen=True)
class Parts:
    """What an entry derives for a built process: ``samplers`` maps names to zero-argument
    factories, ``process`` may differ from the one given (e.g. with a simulated reference)."""

    process: Process
    model: nn.Module
    loss: Loss
    samplers: Mapping[str, Callable[[], Sampler]]
    default_sampler: str
    sample_steps: int
    denoise: bool
    #: what the recipe chose for the user and should say (e.g. a simulated reference)
    notes: tuple[str, ...] = ()
    #: parameters whose value was chosen from the data (``S=0``, ``network=auto``) with the value
    #: chosen: a run records these, so that it rebuilds the same model whatever later defaults say
    resolved: Mapping[str, Any] = field(default_factory=dict)


def recipe_parts(
    process: Process,
    data: Tensor,
    params: Mapping[str, Any],
    context_dim: int,
    samplers: Callable[[Sampler], Mapping[str, Callable[[], Sampler]]],
    default_sampler: str,
    **choices: Any,
) -> Parts:
    """:class:`Parts` from :func:`dmm.recipe.recipe` on an MLP of ``params["hidden"]`` ×
    ``params["depth"]``; ``samplers(recipe_sampler)`` names the sampler factories; ``choices``
    go to the recipe (a product's ``head`` and ``factor_loss``)."""
    from ...recipe import recipe

    r = recipe(
        process,
        data,
        hidden=params["hidden"],
        depth=params["depth"],
        context_dim=context_dim,
        **choices,
    )
    return Parts(
        r.process,
        r.model,
        r.loss,
        samplers(r.sampler),
        default_sampler,
        int(r.sample_steps),
        bool(r.denoise),
        tuple(r.notes),
    )


class Entry:
    """The interface :func:`~dmm.cli.catalog.build` needs; subclasses hold the fields."""

    name: str
    summary: str
    params: Mapping[str, Any]
    #: one sentence per parameter: what it does (``dmm processes NAME`` prints them)
    help: Mapping[str, str] = MappingProxyType({})
    #: the values a string parameter may take (a free-form one, e.g. a path, has none)
    choices: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    train_defaults: Mapping[str, Any]
    evaluate: Callable[[Process, nn.Module, Tensor], dict[str, float]] | None
    #: appended to a support error of the data (one clause: what to do instead)
    data_hint: str = ""
    #: parameters that name a file the process is built from, each with the name of the copy a
    #: run folder keeps (a run stands alone, as with ``data.npy``: :func:`with_file_copies`)
    files: Mapping[str, str] = MappingProxyType({})
    #: upper bounds of numeric parameters, each with its reason, that a new run is held to
    #: (:func:`~dmm.cli.catalog.check_new_run`); a run recorded before a bound existed still loads
    limits: Mapping[str, tuple[float, str]] = MappingProxyType({})

    def make(self, data: Tensor, params: Mapping[str, Any]) -> Process:
        """The forward process for training data ``data`` (not yet validated)."""
        raise NotImplementedError

    def parts(
        self, process: Process, data: Tensor, params: Mapping[str, Any], context_dim: int
    ) -> Parts:
        """The untrained model, the loss and the samplers for ``process``."""
        raise NotImplementedError

    def scaling(self, data: Tensor, params: Mapping[str, Any]) -> ColumnScaling:
        """The per-coordinate affine map ``standardise=true`` trains through, fitted to the
        training data: by default each coordinate's mean and standard deviation."""
        return ColumnScaling.fit(data)

    def with_params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The defaults updated by ``overrides``, each value coerced to its default's type.

        :class:`UsageError` for an unknown key (naming the valid ones), a value of the wrong
        type or one outside the parameter's ``choices`` (every key is checked, whether or not the
        configuration reads it). Numbers may be given as strings (``"1e-3"``), booleans as
        ``true``/``false``; a default of ``None`` takes a number or ``None``.
        """
        unknown = sorted(set(overrides) - set(self.params))
        if unknown:
            raise UsageError(
                f"unknown parameter(s) {unknown} for process '{self.name}' "
                f"(valid: {sorted(self.params)})"
            )
        out = dict(self.params)
        for key, value in overrides.items():
            allowed = self.choices.get(key)
            if allowed is not None and not (isinstance(value, str) and value in allowed):
                raise UsageError(
                    f"parameter '{key}' of process '{self.name}' must be one of: "
                    f"{', '.join(allowed)}; got {value!r}"
                )
            out[key] = coerce(key, value, self.params[key])
        return out


def coerce(key: str, value: Any, default: Any) -> Any:
    """``value`` as the type of ``default`` (:class:`UsageError` naming ``key`` otherwise)."""
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise UsageError(f"parameter '{key}' must be true or false, got {value!r}")
        return value
    if default is None and value is None:
        return None
    if default is None or isinstance(default, (int, float)):
        number = value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                pass
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise UsageError(f"parameter '{key}' must be a number, got {value!r}")
        if isinstance(default, int):
            if number != int(number):
                raise UsageError(f"parameter '{key}' must be an integer, got {value!r}")
            return int(number)
        return float(number)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise UsageError(f"parameter '{key}' must be a string, got {value!r}")
        return value
    return value


@dataclass(frozen=True)
class ProcessSpec(Entry):
    """A named process of the catalogue.

    ``build(data, params)`` returns the process for training data ``data`` (it may read the data,
    e.g. its dimension or moments, and must not fail on data outside the space: :func:`build`
    validates with ``process.space.validate`` afterwards); ``model(process, params, context_dim)``
    the untrained model; ``loss(process, params)`` the training loss; ``samplers`` maps sampler
    names to factories taking ``params``. ``params`` are the defaults a user overrides with
    ``--set KEY=VALUE``. ``evaluate(process, model, data)``, when given, adds family-specific
    numbers to ``dmm eval`` (e.g. the NLL bound in bits/dim for chains). ``help`` says in one
    sentence what each parameter does, ``data_hint`` what to do with data outside the space.
    ``choices`` names the values of each string parameter (every one but a free-form string such as
    a path): :meth:`with_params` rejects any other value, read or not.
    """

    name: str
    summary: str
    params: Mapping[str, Any]
    build: Callable[[Tensor, Mapping[str, Any]], Process]
    model: Callable[[Process, Mapping[str, Any], int], nn.Module]
    loss: Callable[[Process, Mapping[str, Any]], Loss]
    samplers: Mapping[str, Callable[[Mapping[str, Any]], Sampler]]
    default_sampler: str
    sample_steps: int = 500
    #: end sampling with the process's final denoising step by default (Tweedie's mean for Gaussian
    #: kernels, argmax of p_θ(x_0|y) for chains)
    denoise: bool = False
    #: extra defaults for the training loop (e.g. a smaller learning rate)
    train_defaults: Mapping[str, Any] = field(default_factory=dict)
    evaluate: Callable[[Process, nn.Module, Tensor], dict[str, float]] | None = None
    #: one sentence per parameter (every built-in entry has one for each of its ``params``)
    help: Mapping[str, str] = field(default_factory=dict)
    #: what to do when the data lie outside the space (one clause, appended to the support error)
    data_hint: str = ""
    #: ``resolve(process, params)``: the values chosen for parameters that say "choose for me"
    resolve: Callable[[Process, Mapping[str, Any]], Mapping[str, Any]] | None = None
    #: ``fit(process, data, params)``: values read from the training data for parameters that
    #: say "read it from the data" (a run records them, so a loaded run does not read data again)
    fit: Callable[[Process, Tensor, Mapping[str, Any]], Mapping[str, Any]] | None = None
    #: the values each string parameter may take (:meth:`with_params` rejects any other)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``standardiser(data, params)``: the map ``standardise=true`` fits, when it is not each
    #: coordinate's mean and standard deviation (:meth:`Entry.scaling`)
    standardiser: Callable[[Tensor, Mapping[str, Any]], ColumnScaling] | None = None
    #: file parameters and their copies' names (:attr:`Entry.files`)
    files: Mapping[str, str] = field(default_factory=dict)
    #: bounds a new run is held to (:attr:`Entry.limits`)
    limits: Mapping[str, tuple[float, str]] = field(default_factory=dict)
    #: ``note(process, data, params)``: what ``dmm train`` says about the process on these data
    note: Callable[[Process, Tensor, Mapping[str, Any]], tuple[str, ...]] | None = None

    def scaling(self, data: Tensor, params: Mapping[str, Any]) -> ColumnScaling:
        if self.standardiser is None:
            return super().scaling(data, params)
        return self.standardiser(data, params)

    def make(self, data: Tensor, params: Mapping[str, Any]) -> Process:
        return self.build(data, params)

    def parts(
        self, process: Process, data: Tensor, params: Mapping[str, Any], context_dim: int
    ) -> Parts:
        fitted = dict(self.fit(process, data, params)) if self.fit else {}
        chosen = tuple(
            f"{key}=auto chose {value} from the data (the run records it)"
            for key, value in fitted.items()
            if params.get(key) == "auto"
        )
        params = {**params, **fitted}

        def bind(factory: Callable[[Mapping[str, Any]], Sampler]) -> Callable[[], Sampler]:
            return lambda: factory(params)

        return Parts(
            process,
            self.model(process, params, context_dim),
            self.loss(process, params),
            {name: bind(factory) for name, factory in self.samplers.items()},
            self.default_sampler,
            int(self.sample_steps),
            bool(self.denoise),
            notes=chosen + (self.note(process, data, params) if self.note else ()),
            resolved={**(self.resolve(process, params) if self.resolve else {}), **fitted},
        )


#: one sentence per sampling parameter (the ``sample`` part of a configuration)
SAMPLE_HELP: dict[str, str] = {
    "sampler": "the backward-process simulator dmm sample/eval/plot use (listed under samplers)",
    "sample_steps": "number of time steps of the sampler from T down to t_min",
    "denoise": "end with the process's denoising step (Tweedie's mean, or argmax of p(x0|y))",
}

PROCESSES: dict[str, ProcessSpec] = {}


def register_process(spec: ProcessSpec) -> ProcessSpec:
    """Add ``spec`` to :data:`PROCESSES` (names are unique; ``help`` and ``choices`` name its
    parameters, and a parameter's default is among its choices)."""
    if spec.name in PROCESSES:
        raise ValueError(f"process '{spec.name}' is already registered")
    for what, keys in (("help", spec.help), ("choices", spec.choices)):
        stray = sorted(set(keys) - set(spec.params))
        if stray:
            raise ValueError(f"{what} for unknown parameter(s) {stray} of process '{spec.name}'")
    for key, allowed in spec.choices.items():
        if not isinstance(allowed, tuple) or not all(isinstance(c, str) for c in allowed):
            raise ValueError(f"choices of parameter '{key}' must be a tuple of strings")
        if spec.params[key] not in allowed:
            raise ValueError(
                f"default {spec.params[key]!r} of parameter '{key}' of process '{spec.name}' "
                f"is not among its choices {allowed}"
            )
    if spec.default_sampler not in spec.samplers:
        raise ValueError(
            f"default sampler '{spec.default_sampler}' not among {list(spec.samplers)}"
        )
    PROCESSES[spec.name] = spec
    return spec
