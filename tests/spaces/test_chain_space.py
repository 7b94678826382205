"""The discrete space: bad input gets errors naming the rows (issue: non-integer, out of range,
wrong d)."""

import pytest
import torch

from dmm.spaces import Discrete, SupportError


def test_validate_accepts_integers_and_floats_with_integer_values():
    s = Discrete(3, 4)
    out = s.validate(torch.tensor([[0.0, 3.0, 1.0]]))
    assert out.dtype == torch.long and out.tolist() == [[0, 3, 1]]


@pytest.mark.parametrize(
    "x, match",
    [
        (
            torch.tensor([[0.0, 1.0, 2.0], [0.5, 1.0, 1.0], [1.0, 1.0, 2.2]]),
            r"non-integer.*2 row\(s\): 1, 2",
        ),
        (torch.tensor([[0, 1, 4], [0, 1, 2], [-1, 0, 0]]), r"outside.*2 row\(s\): 0, 2"),
        (torch.tensor([[0, 1]]), r"expected \(n, 3\)"),
        (torch.tensor([[0.0, float("nan"), 1.0]]), r"NaN.*row\(s\): 0"),
    ],
)
def test_validate_rejects_bad_rows(x, match):
    with pytest.raises(SupportError, match=match):
        Discrete(3, 4).validate(x)


def test_mask_value_is_not_data_and_shapes():
    s = Discrete(2, 5, mask=True)
    assert s.n_states == 6 and s.tangent_shape == (2, 6) and s.feature_dim == 12
    with pytest.raises(SupportError, match="outside"):
        s.validate(torch.tensor([[5, 0]]))
    f = s.features(torch.tensor([[5, 0]]))
    assert f.shape == (1, 12) and f.sum() == 2 and f[0, 5] == 1 and f[0, 6] == 1
