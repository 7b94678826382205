"""The flat torus: wrapping, support checks naming rows, periodic features, exp/log maps."""

import math

import pytest
import torch

from dmm.spaces import SupportError, Torus, wrap


def test_wrap_maps_into_the_half_open_interval_and_is_periodic():
    x = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    y = wrap(x)
    assert (y >= -math.pi).all() and (y < math.pi).all()
    # wrap(x) - x is a multiple of 2π (exact up to rounding of the multiple)
    k = (y - x) / (2 * math.pi)
    assert torch.allclose(k, k.round(), atol=1e-12)
    assert wrap(torch.tensor([math.pi])).item() == pytest.approx(-math.pi)


def test_validate_names_the_rows_outside():
    space = Torus(2)
    x = torch.zeros(6, 2)
    x[1, 0], x[4, 1] = 3.2, -3.5
    with pytest.raises(SupportError, match=r"2 row\(s\): 1, 4"):
        space.validate(x)
    x[1, 0] = math.pi  # π itself is outside [-π, π)
    x[4, 1] = 0.0
    with pytest.raises(SupportError, match=r"1 row\(s\): 1"):
        space.validate(x)
    assert space.validate(wrap(x)) is not None


def test_validate_rejects_wrong_shape_and_nan():
    with pytest.raises(SupportError, match="shape"):
        Torus(2).validate(torch.zeros(3, 3))
    with pytest.raises(SupportError, match="NaN"):
        Torus(1).validate(torch.tensor([[float("nan")]]))


def test_features_are_periodic_cos_sin():
    space = Torus(3)
    x = torch.rand(5, 3) * 6 - 3
    f = space.features(x)
    assert f.shape == (5, 6) and space.feature_dim == 6
    assert torch.allclose(f, space.features(x + 2 * math.pi), atol=1e-5)
    assert torch.allclose(f[:, :3] ** 2 + f[:, 3:] ** 2, torch.ones(5, 3))


def test_exp_log_are_inverse_and_log_is_shortest():
    space = Torus(2)
    g = torch.Generator().manual_seed(0)
    x = space.uniform(100, g)
    v = (torch.rand(100, 2, generator=g) - 0.5) * 5  # |v_i| < π: inside the injectivity radius
    y = space.exp(x, v)
    assert torch.allclose(space.log(x, y), v, atol=1e-5)
    assert (space.log(x, y).abs() <= math.pi).all()
    assert torch.allclose(space.distance(x, y), v.norm(dim=1), atol=1e-5)
    assert torch.equal(space.project_tangent(x, v), v)
    assert torch.allclose(space.inner(x, v, v), (v**2).sum(1))


def test_step_wraps_the_euler_maruyama_step():
    space = Torus(1)
    y = torch.tensor([[3.0]])
    out = space.step(y, torch.tensor([[1.0]]), 0.0, torch.tensor(0.5), torch.zeros(1, 1))
    assert out.item() == pytest.approx(3.5 - 2 * math.pi, abs=1e-6)


def test_uniform_is_uniform():
    x = Torus(1).uniform(20000, torch.Generator().manual_seed(1))[:, 0]
    hist = torch.histc(x, bins=10, min=-math.pi, max=math.pi)
    # 10 bins of expected 2000 each: 5 standard deviations of a binomial count is about 212
    assert (hist - 2000).abs().max() < 212


def test_wrap_data_flag_wraps_instead_of_raising():
    x = torch.tensor([[3.5, 0.0], [0.0, -7.0]])
    out = Torus(2, wrap_data=True).validate(x)
    assert torch.allclose(out, wrap(x))
    with pytest.raises(SupportError, match="NaN"):
        Torus(2, wrap_data=True).validate(torch.tensor([[float("nan"), 0.0]]))


@pytest.mark.parametrize("d", [2.5, 0, -2, True, None, "2", float("nan")])
def test_dimension_must_be_a_positive_integer(d):
    # before: Torus(2.5) was silently Torus(2)
    with pytest.raises(ValueError, match=r"whole number of at least 1, got ") as err:
        Torus(d)
    assert "\n" not in str(err.value)


def test_an_integral_dimension_of_another_type_is_taken():
    assert Torus(3.0).d == 3 and Torus(torch.tensor(2)).d == 2
