"""The 2-D toy samplers: shape, determinism, standardisation and each distribution's geometry."""

from __future__ import annotations

import math

import pytest
import torch

import dmm.data
from dmm.data import BUILTIN_DATASETS, toy2d

SAMPLERS = {
    "checkerboard": toy2d.checkerboard,
    "swissroll": toy2d.swissroll,
    "moons": toy2d.moons,
    "8gaussians": toy2d.eight_gaussians,
    "circles": toy2d.circles,
    "pinwheel": toy2d.pinwheel,
}
N = 20_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_exports_resolve() -> None:
    for name in dmm.data.__all__:
        assert getattr(dmm.data, name) is not None


def test_registry_holds_the_six_samplers() -> None:
    for name, fn in SAMPLERS.items():
        assert BUILTIN_DATASETS[name] is fn


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_shape_dtype_and_determinism(name: str) -> None:
    fn = SAMPLERS[name]
    x = fn(N, _gen(0))
    assert x.shape == (N, 2) and x.dtype == torch.float32
    assert torch.equal(x, fn(N, _gen(0)))
    assert not torch.equal(x, fn(N, _gen(1)))
    assert fn(0, _gen(0)).shape == (0, 2)
    with pytest.raises(ValueError, match="non-negative"):
        fn(-1, _gen(0))


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_does_not_touch_the_global_generator(name: str) -> None:
    state = torch.get_rng_state()
    SAMPLERS[name](100, _gen(0))
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_standardised(name: str) -> None:
    # With N = 2e4 the standard error of each coordinate mean is < 0.01, so |mean| < 0.05 has a
    # wide margin; the scale band and the [-4, 4] box are the documented targets.
    x = SAMPLERS[name](N, _gen(3)).double()
    assert x.mean(dim=0).abs().max() < 0.05
    std = x.std(dim=0)
    assert ((std > 0.6) & (std < 1.3)).all(), std
    assert x.abs().max() < 4.0


def test_checkerboard_occupies_black_cells_of_a_4x4_board() -> None:
    x = toy2d.checkerboard(N, _gen(0))
    cells = torch.floor(x + 2.0).long()
    assert cells.min() >= 0 and cells.max() <= 3
    assert ((cells[:, 0] + cells[:, 1]) % 2 == 0).all()
    counts = torch.bincount(cells[:, 0] * 4 + cells[:, 1], minlength=16)
    assert (counts > 0).sum() == 8
    # Each black cell has probability 1/8: binomial std is sqrt(N/8 * 7/8) ~ 47, allow 5 sigma.
    assert (counts[counts > 0] - N / 8).abs().max() < 5 * math.sqrt(N / 8 * 7 / 8)


def test_eight_gaussians_cluster_at_the_eight_centres() -> None:
    x = toy2d.eight_gaussians(N, _gen(0)).double()
    angles = torch.arange(8, dtype=torch.float64) * math.pi / 4
    centres = toy2d.EIGHT_GAUSSIANS_RADIUS * torch.stack([angles.cos(), angles.sin()], dim=1)
    nearest = torch.cdist(x, centres).min(dim=1)
    # The offset from the nearest centre is 2-D Gaussian with std 0.15 per coordinate.
    offsets = x - centres[nearest.indices]
    assert offsets.std(dim=0).sub(toy2d.EIGHT_GAUSSIANS_STD).abs().max() < 0.01
    assert torch.bincount(nearest.indices, minlength=8).min() > N / 8 * 0.9


def test_circles_have_radii_one_and_two() -> None:
    r = toy2d.circles(N, _gen(0)).double().norm(dim=1)
    inner, outer = r[r < 1.5], r[r >= 1.5]
    assert abs(inner.mean() - 1.0) < 0.02 and abs(outer.mean() - 2.0) < 0.02
    assert abs(len(inner) / N - 0.5) < 0.02  # binomial std 0.0035


def test_pinwheel_has_five_fold_symmetry() -> None:
    x = toy2d.pinwheel(N, _gen(0)).double()
    angle = torch.atan2(x[:, 1], x[:, 0])
    # The fifth angular harmonic E[exp(5 i theta)] is large for five arms; the first ones vanish.
    for k, low, high in [(1, 0.0, 0.03), (5, 0.3, 1.0)]:
        power = torch.complex(torch.cos(k * angle), torch.sin(k * angle)).mean().abs()
        assert low <= power <= high, (k, power)


def _distance_to_half_circle(p: torch.Tensor, centre: tuple[float, float], upper: bool):
    q = p - torch.tensor(centre, dtype=p.dtype)
    on_side = q[:, 1] >= 0 if upper else q[:, 1] <= 0
    ends = torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=p.dtype)
    to_ends = torch.cdist(q, ends).min(dim=1).values
    return torch.where(on_side, (q.norm(dim=1) - 1.0).abs(), to_ends)


def test_moons_are_two_half_circles() -> None:
    # Undo the documented normalisation: the outer arc is the upper half of the unit circle about
    # (0, 0), the inner arc the lower half of the unit circle about (1, 0.5); noise std is 0.1,
    # so the mean distance to the nearer arc is about E|N(0, 0.1^2)| ~ 0.08. Full circles, or
    # arcs on the wrong sides, put many points ~1 away and fail.
    x = toy2d.moons(N, _gen(0)).double() * toy2d._MOONS_SCALE + torch.tensor([0.5, 0.25])
    d_outer = _distance_to_half_circle(x, (0.0, 0.0), upper=True)
    d_inner = _distance_to_half_circle(x, (1.0, 0.5), upper=False)
    nearest = torch.minimum(d_outer, d_inner)
    assert nearest.mean() < 0.1 and (nearest > 0.5).float().mean() < 1e-3
    assert abs((d_outer < d_inner).double().mean() - 0.5) < 0.03  # equal mass on both moons


def test_swissroll_radius_grows_with_angle() -> None:
    x = toy2d.swissroll(N, _gen(0)).double() * toy2d._SWISSROLL_SCALE
    x = x + torch.tensor(toy2d._SWISSROLL_CENTER)
    r = x.norm(dim=1)
    # Radius t runs over [1.5 pi, 4.5 pi]; with noise 0.5 almost no point leaves [3, 16].
    assert r.min() > 3.0 and r.max() < 16.0
    assert abs(r.mean() - 3.0 * math.pi) < 0.2  # E[t] = 3 pi for t uniform
