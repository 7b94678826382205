"""Kernels that are Gaussian in some coordinates (``CoordinateGaussian``): the coordinate maps'
slope and curvature against autograd, and the three things every such kernel gives (the score of
a noise, the ε weighting, the isotropic ``(α, s)``), against the closed forms."""

from __future__ import annotations

import pytest
import torch

from dmm.losses import eps_weighting
from dmm.processes import (
    GBM,
    IDENTITY,
    VP,
    CoordinateGaussian,
    GeometricOU,
    MissingCapability,
    TorusJump,
)
from dmm.processes.positive import StandardLog

DATA = torch.exp(0.7 * torch.randn(256, 3, generator=torch.Generator().manual_seed(0)) + 1.0)


@pytest.mark.parametrize(
    "coords",
    [IDENTITY, StandardLog(torch.tensor([0.5, -1.0, 2.0]), torch.tensor([0.3, 1.0, 2.5]))],
    ids=["identity", "standard-log"],
)
def test_slope_and_curvature_are_the_derivatives_of_the_map(coords) -> None:
    # exact up to float64 rounding: autograd of the elementwise map and of log of its slope
    x = DATA[:16].double().requires_grad_()
    (slope,) = torch.autograd.grad(coords.to(x).sum(), x)
    log_slope = torch.log(coords.slope(x)).sum()
    if log_slope.requires_grad:
        (curv,) = torch.autograd.grad(log_slope, x)
    else:  # a constant slope (the identity)
        curv = torch.zeros_like(x)
    torch.testing.assert_close(coords.slope(x), slope)
    torch.testing.assert_close(coords.curvature(x), curv)
    torch.testing.assert_close(coords.back(coords.to(x)), x)


def _processes():
    x = DATA.double()
    # gbm with one absolute sigma: its coordinates are scaled by σ, not by the data's log-std
    absolute = GBM.from_data(x, sigma=0.8, relative=False)
    return [VP(3), GBM.from_data(x), absolute, GeometricOU.from_data(x, theta=0.5)]


IDS = ["vp", "gbm", "gbm-absolute", "geometric-ou"]


@pytest.mark.parametrize("process", _processes(), ids=IDS)
def test_the_noise_score_is_the_conditional_score(process) -> None:
    # x_t = back(α u_0 + c + s ε): the kernel's score at ε is ∇log p_{t|0}(x_t | x_0) (float64)
    torch.set_default_dtype(torch.float64)
    try:
        x0 = DATA.double()
        t = torch.linspace(process.t_min, process.T, len(x0))
        kernel = process.gaussian_coordinates(t)
        a, s = kernel.isotropic("test")
        eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(1))
        xt = kernel.coords.back(a * kernel.coords.to(x0) + kernel.shift + s * eps)
        torch.testing.assert_close(
            kernel.noise_score(eps, xt), process.conditional_score(xt, x0, t), rtol=1e-9, atol=1e-9
        )
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("process", _processes()[1:], ids=IDS[1:])
def test_the_eps_weighting_of_the_orthant_diffusions_is_v_x_squared(process) -> None:
    x, t = DATA.double(), torch.linspace(0.01, 1.0, len(DATA), dtype=torch.float64)
    _, _, v = process.log_kernel(t)  # log X_t | x_0 ~ N(α log x_0 + c, v): λ = v x² (float64)
    torch.testing.assert_close(eps_weighting(process, x, t), v * x**2)


def test_noise_levels_that_differ_per_coordinate_are_named() -> None:
    # one variance per coordinate: the straight path (one time per row) does not exist
    t = torch.full((4,), 0.5)
    kernel = CoordinateGaussian(IDENTITY, torch.ones(4, 1), torch.zeros(4, 1), torch.rand(4, 3))
    with pytest.raises(MissingCapability, match="same noise level in every coordinate"):
        kernel.isotropic("the straight path")
    with pytest.raises(MissingCapability, match="Gaussian in some coordinates"):
        TorusJump(2).gaussian_coordinates(t)
