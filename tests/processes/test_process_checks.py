"""A process refuses, when it is built, blocks and a reference that do not fit its space, and a
coefficient of the wrong shape is named when it is first used (a user trial's findings: each of
these was a torch error deep in training, or silently wrong)."""

from __future__ import annotations

import pytest
import torch

from dmm.cli.main import main
from dmm.processes import (
    AbsorbingRates,
    Chain,
    CoefficientError,
    Diffusion,
    GaussianJumps,
    Jumps,
    Normal,
    Process,
    UniformRates,
)
from dmm.processes.schedules import LinearSchedule
from dmm.spaces import Discrete, Euclidean, Torus


def _still() -> Diffusion:
    return Diffusion(lambda x, t: -0.5 * x, lambda x, t: 1.0)


@pytest.mark.parametrize(
    "space, block, message",
    [
        (Discrete(2, 4), Chain(torch.ones(3, 3) - 3 * torch.eye(3)), "moves between 3 states"),
        (Euclidean(2), UniformRates(3), "is not discrete"),
        (Discrete(2, 4), _still(), "a diffusion needs a continuous space"),
        (Discrete(1, 4), Jumps(1.0, GaussianJumps(1, 0.5)), "need a continuous space"),
    ],
)
def test_a_block_that_cannot_act_on_the_space_is_refused(space, block, message):
    with pytest.raises(ValueError, match=message):
        Process(space, (block,))


def test_blocks_that_fit_their_space_are_accepted():
    Process(Discrete(2, 4), (UniformRates(4),))
    Process(Discrete(2, 3, mask=True), (AbsorbingRates(3),))  # MASK is the fourth state
    Process(Torus(2), (Jumps(1.0, GaussianJumps(2, 0.5)),))


def test_a_reference_of_another_shape_is_refused():
    with pytest.raises(ValueError, match=r"draws points of shape \(3,\).*have shape \(2,\)"):
        Process(Euclidean(2), (_still(),), reference=Normal((3,)))


@pytest.mark.parametrize(
    "drift, diffusion, what",
    [
        (lambda x, t: x.sum(1), lambda x, t: 1.0, r"the drift .* gave shape \(2,\)"),
        (lambda x, t: torch.zeros(len(x), 3), lambda x, t: 1.0, r"the drift .* \(2, 3\)"),
        (lambda x, t: -x, lambda x, t: torch.ones(3), r"the diffusion .* gave shape \(3,\)"),
    ],
)
def test_a_coefficient_of_the_wrong_shape_is_named(drift, diffusion, what):
    """A drift of shape ``(batch,)`` on 2 rows of ``R^2`` was broadcast along the coordinates
    without a word; ``(batch, 3)`` and a diffusion of 3 values were torch errors."""
    process = Process(Euclidean(2), (Diffusion(drift, diffusion),), reference=Normal((2,)))
    with pytest.raises(CoefficientError, match=what):
        process.sample_marginal(torch.zeros(2, 2), torch.tensor(0.5), None)


@pytest.mark.parametrize(
    "rate, what",
    [
        (lambda t: float("nan"), r"the rate of Jumps\(rate=<lambda>.* integrates to nan"),
        (lambda t: -2.0, r"integrates to -0.02 .* finite and >= 0"),
        (lambda t: torch.ones(3), r"the rate of .* gave shape \(3,\)"),
    ],
)
def test_a_jump_rate_that_is_nan_negative_or_of_the_wrong_shape_is_named(rate, what):
    """A NaN rate was a torch error in the Poisson draw ('cannot convert float NaN to integer',
    'invalid parameter' at the command line), a negative one silently drew no jumps, and one of
    the wrong shape was a torch error."""
    process = Process(Euclidean(2), (_still(), Jumps(rate, GaussianJumps(2, 0.5))))
    with pytest.raises(CoefficientError, match=what):
        process.sample_marginal(torch.zeros(4, 2), torch.tensor(1.0), None)


def test_a_time_dependent_jump_rate_still_simulates():
    process = Process(Euclidean(1), (Jumps(lambda t: 2.0 + t, GaussianJumps(1, 1.0)),))
    x = process.sample_marginal(
        torch.zeros(20000, 1), torch.tensor(1.0), torch.Generator().manual_seed(0)
    )
    # Var X_1 = Λ(1) σ² = 2.5 (compound Poisson); its standard error here is about 0.03
    assert abs(float(x.var()) - 2.5) < 0.3


def test_a_number_is_a_drift_and_a_diffusion():
    """``drift=lambda x, t: 0.0`` (Brownian motion) was a torch error."""
    process = Process(Euclidean(2), (Diffusion(lambda x, t: 0.0, lambda x, t: 0.5),))
    out = process.sample_marginal(torch.zeros(64, 2), torch.tensor(1.0), None)
    assert out.shape == (64, 2) and 0.3 < float(out.std()) < 0.7


USER = """
import torch
from dmm.processes import Diffusion, Normal, Process
from dmm.spaces import Euclidean

def make(data):
    return Process(Euclidean(2), (Diffusion(lambda x, t: torch.zeros(len(x), 3), lambda x, t: 1.0),),
                   reference=Normal((2,)), name="Wide")
"""


def test_the_command_line_reports_a_wrong_coefficient_in_one_line(tmp_path, capsys):
    (tmp_path / "wide.py").write_text(USER)
    argv = ["train", "--process", f"{tmp_path / 'wide.py'}:make", "--data", "moons"]
    argv += ["--n-data", "200", "--steps", "3", "--out", str(tmp_path / "run"), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the drift of" in err[0] and "(256, 3)" not in err[0], err


NAN_RATE = """
from dmm.processes import Diffusion, GaussianJumps, Jumps, Process
from dmm.spaces import Euclidean

def make(data):
    return Process(Euclidean(2), (Diffusion(lambda x, t: -x, lambda x, t: 1.0),
                                  Jumps(lambda t: float("nan"), GaussianJumps(2, 0.8))))
"""


def test_the_command_line_names_a_nan_jump_rate(tmp_path, capsys):
    """It said 'invalid parameter for process ...: cannot convert float NaN to integer'."""
    (tmp_path / "jd.py").write_text(NAN_RATE)
    argv = ["train", "--process", f"{tmp_path / 'jd.py'}:make", "--data", "moons"]
    argv += ["--n-data", "200", "--steps", "3", "--out", str(tmp_path / "run"), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the rate of Jumps(rate=make.<locals>.<lambda>" in err[0], err
    assert "integrates to nan" in err[0] and "invalid parameter" not in err[0], err


def test_a_chain_schedule_keeps_working_with_the_check():
    block = Chain(torch.ones(3, 3) - 3 * torch.eye(3), LinearSchedule(0.1, 5.0))
    process = Process(Discrete(2, 3), (block,))
    assert process.space.S == 3
