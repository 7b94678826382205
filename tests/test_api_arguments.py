"""The library's entry points check their arguments and say which one is wrong, before any
work: a grid, a start, a context, a dtype, a count or a dimension that was silently truncated,
ignored or turned into NaN samples (a new user's trial of the Python API, 2026-12-06)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dmm.processes import VP, AbsorbingChain, Diffusion, Normal, Process, TorusBrownian, product
from dmm.processes.base import CoefficientError, MissingCapability
from dmm.recipe import recipe
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate
from dmm.spaces import Discrete, Euclidean
from dmm.testing import check_process
from dmm.training import TrainConfig, train

CONFIG = TrainConfig(steps=3, batch_size=32, warmup=0, val_size=32)


@pytest.fixture(scope="module")
def vp():
    torch.manual_seed(0)
    r = recipe(VP(2), hidden=16, depth=1)
    return r, Reversal(r.process, r.model)


@pytest.mark.parametrize(
    "grid, needle",
    [
        (torch.linspace(0.001, 1, 5), "decreasing"),  # was: every sample NaN
        (torch.tensor([1.0, 0.5, -0.5]), "down to t_min"),  # was: samples of spread 41
        (torch.tensor([50.0, 0.5, 0.001]), "down to t_min"),  # was: spread 86 580
        (torch.tensor([1.0, float("nan"), 0.001]), "finite"),
        (torch.tensor([1.0]), "at least 2"),
    ],
)
def test_a_bad_grid_is_refused(vp, grid, needle):
    r, rev = vp
    with pytest.raises(ValueError, match=needle):
        simulate(rev, r.sampler, 10, grid=grid)


def test_a_grid_may_be_a_list(vp):
    r, rev = vp
    y = simulate(rev, r.sampler, 10, grid=[1.0, 0.5, 0.001])  # was: AttributeError on .to
    assert y.shape == (10, 2) and torch.isfinite(y).all()


def test_a_start_outside_the_space_is_refused(vp):
    r, rev = vp
    with pytest.raises(ValueError, match="y_init: .*NaN"):
        simulate(rev, r.sampler, 10, steps=5, y_init=torch.full((10, 2), float("nan")))
    chain = recipe(AbsorbingChain(S=3, d=1))
    with pytest.raises(ValueError, match=r"y_init: .*outside"):  # was: torch's num_classes error
        simulate(Reversal(chain.process, chain.model), chain.sampler, 10, steps=5,
                 y_init=torch.full((10, 1), 7))  # fmt: skip
    torus = recipe(TorusBrownian(d=1), hidden=16, depth=1)
    with pytest.raises(ValueError, match="y_init"):  # an angle of 5 was taken
        simulate(Reversal(torus.process, torus.model), torus.sampler, 4, steps=5,
                 y_init=torch.full((4, 1), 5.0))  # fmt: skip


@pytest.mark.parametrize("steps", [0, 2.5, True])
def test_sampler_steps_are_whole_numbers(vp, steps):
    r, rev = vp
    with pytest.raises(ValueError, match="steps must be a whole number"):
        simulate(rev, r.sampler, 10, steps=steps)


def test_a_context_must_fit_the_model():
    torch.manual_seed(0)
    x = torch.randn(200, 2)
    plain = recipe(VP(2), hidden=16, depth=1)
    with pytest.raises(ValueError, match="reads none"):  # was: trained, the context ignored
        train(plain.model, plain.loss, x, CONFIG, context=torch.randn(200, 1))
    cond = recipe(VP(2), hidden=16, depth=1, context_dim=1)
    cases = {
        "no context": (None, "reads a context of 1"),
        "fewer rows": (torch.randn(10, 1), r"shape \(10, 1\), expected \(200, k\)"),
        "one dimension": (torch.randn(200), r"shape \(200,\)"),
        "too wide": (torch.randn(200, 2), "have 2 numbers, the model reads 1"),
        "NaN": (torch.full((200, 1), float("nan")), "NaN or infinite"),
    }
    for context, needle in cases.values():
        with pytest.raises(ValueError, match=needle):
            train(cond.model, cond.loss, x, CONFIG, context=context)
    fit = train(cond.model, cond.loss, x, CONFIG, context=torch.randn(200, 1))
    rev = Reversal(cond.process, fit.ema, torch.full((5, 1), float("nan")))
    with pytest.raises(ValueError, match="NaN"):  # was: NaN samples
        simulate(rev, cond.sampler, 5, steps=3)
    one = simulate(Reversal(cond.process, fit.ema, torch.ones(1, 1)), cond.sampler, 5, steps=3)
    assert one.shape == (5, 2)  # one context row serves every sample


def test_a_float64_model_samples():
    torch.manual_seed(0)
    r = recipe(VP(2), hidden=16, depth=1)
    r.model.double()
    fit = train(r.model, r.loss, torch.randn(100, 2), CONFIG)
    y = simulate(Reversal(r.process, fit.ema), r.sampler, 10, steps=5)  # was: a dtype error
    assert y.dtype == torch.float64


@pytest.mark.parametrize(
    "settings, needle",
    [
        ({"steps": 2.5}, "steps must be a whole number"),
        ({"steps": float("nan")}, "steps must be a whole number"),
        ({"steps": "10"}, "steps must be a whole number"),
        ({"steps": True}, "steps must be a whole number"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"warmup": float("nan")}, "warmup must be a whole number"),
        ({"lr": float("inf")}, "lr must be finite"),
        ({"lr": float("nan")}, "lr must be finite"),
        ({"grad_clip": float("nan")}, "grad_clip must be finite"),
    ],
)
def test_train_config_refuses_what_later_failed_as_divergence(settings, needle):
    with pytest.raises(ValueError, match=needle):
        TrainConfig(**settings)


def test_train_config_takes_whole_numbers_of_other_types():
    c = TrainConfig(steps=np.int64(5), batch_size=64.0, lr=np.float32(1e-3))
    assert (c.steps, c.batch_size) == (5, 64) and type(c.steps) is int


def test_empty_data_is_named():
    r = recipe(VP(2), hidden=16, depth=1)
    with pytest.raises(ValueError, match="no rows"):  # was: torch's reshape error
        train(r.model, r.loss, torch.randn(0, 2), CONFIG)
    with pytest.raises(ValueError, match="n must be a whole number"):
        check_process(VP(2), torch.zeros(3, 2), n=0)


def test_check_process_takes_an_array():
    results = check_process(
        VP(2), np.zeros((3, 2), dtype=np.float32), n=500, raise_on_failure=False
    )
    assert results  # was: AttributeError on is_floating_point


@pytest.mark.parametrize(
    "make",
    [
        lambda: Euclidean(2.5),
        lambda: Euclidean(True),
        lambda: VP(2.5),
        lambda: Discrete(d=2.5, S=3),
        lambda: Discrete(d=2, S=3.5),
        lambda: AbsorbingChain(S=3.7, d=1),
    ],
)
def test_a_fractional_dimension_is_refused_not_truncated(make):
    with pytest.raises(ValueError, match="whole number"):
        make()


def test_whole_numbers_of_other_types_are_taken():
    assert Euclidean(np.int64(3), 2.0).event_shape == (3, 2) and VP(3.0).dim == 3


def test_recipe_sample_steps_are_checked():
    assert recipe(VP(2), hidden=16, depth=1, sample_steps=7).sample_steps == 7
    for bad in (0, -5, 2.5):  # 0 was the default's 500, -5 was stored
        with pytest.raises(ValueError, match="sample_steps"):
            recipe(VP(2), hidden=16, depth=1, sample_steps=bad)


def test_one_block_need_not_be_a_tuple():
    block = Diffusion(drift=lambda x, t: -x, diffusion=lambda x, t: 1.0)
    assert Process(Euclidean(2), blocks=block, reference=Normal((2,))).blocks == (block,)


def test_a_nan_coefficient_is_named_not_called_a_blow_up():
    bad = Diffusion(drift=lambda x, t: -x, diffusion=lambda x, t: float("nan"))
    process = Process(Euclidean(2), blocks=(bad,), reference=Normal((2,)))
    with pytest.raises(CoefficientError, match="diffusion of .* NaN or infinite"):
        process.simulate_forward(torch.zeros(8, 2), 1.0, None)


def test_a_one_block_sampler_on_a_product_points_to_the_product_sampler():
    with pytest.raises(MissingCapability, match="ProductSampler"):
        EulerMaruyama().check(product(VP(2), AbsorbingChain(S=3, d=1)))


def test_a_start_may_hold_the_mask_state():
    """A start is a state of the process, not data: the absorbing chain's MASK (value S) is one
    (the first check of starts refused it, and `dmm plot` and `--given` of such runs crashed)."""
    torch.manual_seed(0)
    chain = recipe(AbsorbingChain(S=3, d=2), hidden=16, depth=1)
    rev = Reversal(chain.process, chain.model)
    y = simulate(rev, chain.sampler, 4, steps=3, y_init=torch.full((4, 2), 3))
    assert y.shape == (4, 2)
    mixed = recipe(product(VP(1), AbsorbingChain(S=3, d=1)), hidden=16, depth=1)
    start = torch.tensor([[0.1, 3.0]] * 4)
    y = simulate(Reversal(mixed.process, mixed.model), mixed.sampler, 4, steps=3, y_init=start)
    assert y.shape == (4, 2)
    with pytest.raises(ValueError, match="y_init"):
        simulate(rev, chain.sampler, 4, steps=3, y_init=torch.full((4, 2), 4))


def test_a_model_that_reads_its_context_through_its_features_trains_and_samples():
    """BodyFrameScore's network has context_dim 0 (the view enters through its features): the
    first check of contexts refused it for training and sampling (found by a review)."""
    from dmm.data.so3 import symmetric_solid
    from dmm.losses import DenoisingScoreMatching
    from dmm.networks import MLP, SymmetricTensorLayout
    from dmm.processes.manifold_brownian import SO3Brownian
    from dmm.samplers import EulerMaruyama
    from dmm.scores import BodyFrameScore

    torch.manual_seed(0)
    layout, process = SymmetricTensorLayout((1, 3, 4)), SO3Brownian()
    poses, views = symmetric_solid(64, torch.Generator().manual_seed(0), "octahedral")
    model = BodyFrameScore(MLP(layout.dim, 3, hidden=16), process, layout)
    fit = train(model, DenoisingScoreMatching(process), poses, CONFIG, context=views)
    y = simulate(Reversal(process, fit.ema, views[:4]), EulerMaruyama(), 4, steps=3)
    assert y.shape == (4, 3, 3)
    with pytest.raises(ValueError, match=f"have 3 numbers, the model reads {layout.dim}"):
        train(model, DenoisingScoreMatching(process), poses, CONFIG, context=views[:, :3])


def test_one_context_vector_serves_every_sample_and_steps_may_be_floats():
    torch.manual_seed(0)
    cond = recipe(VP(2), hidden=16, depth=1, context_dim=2)
    rev = Reversal(cond.process, cond.model, torch.tensor([0.5, -1.0]))  # (k,): broadcast before
    assert simulate(rev, cond.sampler, 6, steps=3.0).shape == (6, 2)


def test_a_start_beyond_the_mask_names_the_mask():
    chain = recipe(AbsorbingChain(S=3, d=2), hidden=16, depth=1)
    with pytest.raises(ValueError) as err:
        simulate(Reversal(chain.process, chain.model), chain.sampler, 4, steps=3,
                 y_init=torch.full((4, 2), 7))  # fmt: skip
    assert "3 the MASK" in str(err.value) and "need S" not in str(err.value)
