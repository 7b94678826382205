"""Every schedule's closed-form integral ``B(t)`` against quadrature of its rate ``β(t)``."""

import pytest
import torch

from dmm.processes.schedules import (
    ConstantSchedule,
    CosineSchedule,
    ExponentialSchedule,
    GeometricSchedule,
    LinearSchedule,
)


@pytest.mark.parametrize(
    "schedule",
    [
        ConstantSchedule(2.0),
        LinearSchedule(0.1, 20.0),
        CosineSchedule(),
        GeometricSchedule(0.02, 3.0),
        ExponentialSchedule(0.45, 181.5),
    ],
    ids=repr,
)
def test_integral_is_the_integral_of_the_rate(schedule):
    # composite Simpson on 20001 float64 nodes: error far below the 1e-6 relative tolerance (the
    # cosine rate grows like tan near t = 1; 2001 nodes left 1.1e-6 there)
    t = torch.linspace(0, 1, 20001, dtype=torch.float64)
    beta = schedule.beta(t)
    h = t[1] - t[0]
    w = torch.ones_like(t)
    w[1:-1:2], w[2:-1:2] = 4, 2
    cumulative = float((w * beta).sum() * h / 3)
    assert schedule.integral(torch.tensor(0.0, dtype=torch.float64)).abs() < 1e-12
    assert abs(float(schedule.integral(t[-1:])[0]) - cumulative) < 1e-6 * max(cumulative, 1.0)


def test_exponential_rate_default_reaches_thirty_jumps():
    s = ExponentialSchedule()
    assert abs(float(s.integral(torch.tensor(1.0, dtype=torch.float64))) - 30.0) < 0.2
    with pytest.raises(ValueError):
        ExponentialSchedule(2.0, 1.0)
