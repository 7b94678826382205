"""SO(3) space: hat/vee, exp/log, geodesic distance, support errors, Riemannian derivatives."""

import math

import pytest
import torch

from dmm.processes.manifold_brownian import Haar
from dmm.spaces import SupportError
from dmm.spaces.so3 import SO3, exp_map, hat, log_map, project, rotation_angle, vee


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_hat_is_cross_product_and_orthonormal():
    v, w = (
        torch.randn(5, 3, generator=_gen(), dtype=torch.float64),
        torch.randn(5, 3, dtype=torch.float64),
    )
    torch.testing.assert_close(hat(v) @ w[..., None], torch.cross(v, w, dim=-1)[..., None])
    torch.testing.assert_close(vee(hat(v)), v)
    basis = hat(torch.eye(3, dtype=torch.float64))
    gram = 0.5 * torch.einsum("aij,bij->ab", basis, basis)  # ½ tr(AᵀB)
    torch.testing.assert_close(gram, torch.eye(3, dtype=torch.float64))


def test_exp_matches_matrix_exponential_and_log_inverts_it():
    g = _gen(1)
    u = torch.randn(200, 3, generator=g, dtype=torch.float64)
    u = u / u.norm(dim=1, keepdim=True)
    # angles across [0, π), including tiny ones and ones within 1e-6 of π (the delicate cases)
    omega = torch.cat(
        [
            torch.rand(190, generator=g, dtype=torch.float64) * math.pi,
            torch.tensor(
                [
                    0.0,
                    1e-9,
                    1e-5,
                    0.1,
                    math.pi - 1e-2,
                    math.pi - 1e-3,
                    math.pi - 1e-5,
                    math.pi - 1e-6,
                    1.0,
                    2.0,
                ],
                dtype=torch.float64,
            ),
        ]
    )
    v = omega[:, None] * u
    r = exp_map(v)
    torch.testing.assert_close(r, torch.linalg.matrix_exp(hat(v)), atol=1e-12, rtol=0)
    torch.testing.assert_close(rotation_angle(r), omega, atol=1e-9, rtol=0)
    # log recovers v; near π the axis comes from the symmetric part (float64 error ~ 1e-8 there)
    torch.testing.assert_close(log_map(r), v, atol=1e-7, rtol=0)


def test_step_stays_on_the_manifold_in_float32():
    space, g = SO3(), _gen(2)
    y = Haar().sample(256, g)
    for _ in range(2000):  # a long walk: Newton–Schulz projection keeps it orthogonal
        y = space.step(y, torch.zeros(256, 3), 1.0, torch.tensor(1e-2), space.noise(256, g, y))
    eye = torch.eye(3)
    # float32 rounding is 6e-8 per entry; 1e-6 allows a few ulps of matrix-product error
    assert (y.transpose(1, 2) @ y - eye).abs().max() < 1e-6
    assert (torch.linalg.det(y) - 1).abs().max() < 1e-6


def test_support_error_names_the_rows():
    x = Haar().sample(6, _gen(3))
    x[2] = x[2] * 1.01  # not orthogonal
    x[4] = -x[4]  # orthogonal, det -1 (a reflection)
    with pytest.raises(SupportError, match=r"2 row\(s\): 2, 4"):
        SO3().validate(x)
    with pytest.raises(SupportError, match=r"3 row\(s\)"):  # 9 numbers a row: read as 3 × 3
        SO3().validate(torch.zeros(3, 9))
    with pytest.raises(SupportError, match="expected .* quaternions: scipy"):
        SO3().validate(torch.zeros(3, 4))
    rotations = Haar().sample(6, _gen(3))
    assert torch.equal(SO3().validate(rotations), rotations)  # rotations pass
    # a .csv file's rows (what dmm sample writes): 9 entries row-major, read back as matrices
    assert torch.equal(SO3().validate(rotations.reshape(6, 9)), rotations)


def test_gradient_and_laplacian_of_linear_functions():
    # f(R) = tr(AᵀR): ∇f_i = tr(Aᵀ R ê_i) and Δf = -2 f (matrix entries are l = 1 eigenfunctions)
    space, g = SO3(), _gen(4)
    x = Haar().sample(50, g).double()
    a = torch.randn(3, 3, generator=g, dtype=torch.float64)

    def f(r):
        return (a * r).sum((-1, -2))

    grad = space.gradient(f, x)
    basis = hat(torch.eye(3, dtype=torch.float64))
    expected = torch.stack([(a * (x @ basis[i])).sum((-1, -2)) for i in range(3)], 1)
    torch.testing.assert_close(grad, expected)
    lap = space.second_derivatives(f, x).sum(1)
    torch.testing.assert_close(lap, -2 * f(x))


def test_gradient_matches_finite_differences_along_geodesics():
    space, g = SO3(), _gen(5)
    x = project(project(Haar().sample(20, g).double()))  # orthogonal to float64 precision

    def f(r):
        return torch.sin(r[:, 0, 1] * 2 + r[:, 2, 2]) * r[:, 1, 0]

    grad, h = space.gradient(f, x), 1e-6
    for i in range(3):
        e = torch.zeros(20, 3, dtype=torch.float64)
        e[:, i] = h
        fd = (f(space.exp(x, e)) - f(space.exp(x, -e))) / (2 * h)
        torch.testing.assert_close(grad[:, i], fd, atol=1e-8, rtol=0)  # O(h²) + rounding/h
