"""``simulate``'s arguments: a clear ValueError for a count or a start it cannot use."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dmm.processes import VP, UniformChain
from dmm.recipe import recipe
from dmm.reversal import Reversal
from dmm.samplers import simulate


@pytest.fixture(scope="module")
def vp():
    r = recipe(VP(2), hidden=8, depth=1)
    return Reversal(r.process, r.model), r.sampler


@pytest.mark.parametrize("n", [0, -1, 2.0, True, "3"])
def test_a_count_that_is_not_a_whole_number_above_zero_is_named(vp, n):
    rev, sampler = vp
    with pytest.raises(ValueError, match=r"n \(the number of samples\) must be a whole number"):
        simulate(rev, sampler, n, steps=3)


def test_a_start_of_the_wrong_shape_is_named(vp):
    rev, sampler = vp
    for y in (torch.zeros(4, 2), torch.zeros(5, 3)):
        with pytest.raises(ValueError, match=r"y_init has shape .*expected \(n, 2\) = \(5, 2\)"):
            simulate(rev, sampler, 5, steps=3, y_init=y)


def test_a_start_in_float64_or_an_array_runs_at_the_model_dtype(vp):
    rev, sampler = vp
    g = torch.Generator().manual_seed(0)
    for y in (torch.zeros(5, 2, dtype=torch.float64), np.zeros((5, 2))):
        out = simulate(rev, sampler, np.int64(5), steps=3, generator=g, y_init=y)
        assert out.shape == (5, 2) and out.dtype == torch.float32


def test_a_chain_gives_integer_codes():
    r = recipe(UniformChain(d=2, S=4), hidden=8, depth=1)
    out = simulate(Reversal(r.process, r.model), r.sampler, 6, steps=3)
    assert out.shape == (6, 2) and out.dtype == torch.int64
