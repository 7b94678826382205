"""Support checks name the offending rows."""

import pytest
import torch

from dmm.spaces import Euclidean, SupportError


def test_validate_names_rows_with_nan():
    x = torch.zeros(10, 2)
    x[3, 0], x[7, 1] = float("nan"), float("inf")
    with pytest.raises(SupportError, match=r"2 row\(s\): 3, 7"):
        Euclidean(2).validate(x)


def test_validate_shape():
    with pytest.raises(SupportError, match="expected"):
        Euclidean(2).validate(torch.zeros(4, 3))


def test_step_is_euler_maruyama():
    y, a, xi = torch.ones(3, 2), torch.full((3, 2), 2.0), torch.full((3, 2), -1.0)
    out = Euclidean(2).step(y, a, 0.5, torch.full((3,), 0.04), xi)
    torch.testing.assert_close(out, torch.full((3, 2), 1 + 2 * 0.04 - 0.5 * 0.2))
