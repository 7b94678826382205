"""Declared supports of the built-in data sets: fresh draws are on them at the promised rate,
known empty regions are off them, and the noisy bands have the stated width around the shape the
sampler itself draws when its noise is switched off."""

from __future__ import annotations

import math

import pytest
import torch

from dmm.data import BUILTIN_DATASETS, toy2d
from dmm.data.registry import DATASET_INFO, DatasetInfo
from dmm.spaces import Euclidean

N = 20_000
#: a lower bound on the share of fresh draws each support holds (module docstring of toy2d):
#: exact supports hold every draw; isotropic noise stays within 4 standard deviations with
#: probability 1 - e^-8; the pinwheel needs both its radial and tangential noise within 4
EXACT = 1.0
ISOTROPIC = 1.0 - math.exp(-8.0)
PINWHEEL = (1.0 - math.erfc(4.0 / math.sqrt(2.0))) ** 2
SHARE = {
    "checkerboard": EXACT,
    "torus-checkerboard": EXACT,
    "moons": ISOTROPIC,
    "circles": ISOTROPIC,
    "8gaussians": ISOTROPIC,
    "swissroll": ISOTROPIC,
    "pinwheel": PINWHEEL,
}

#: points (in the data set's own coordinates) that no draw comes near
EMPTY = {
    "checkerboard": [[-1.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [1.5, 0.5], [2.5, 0.0], [0.0, -3.0]],
    "torus-checkerboard": [[0.75, -0.75], [-0.75, 0.75], [2.4, 0.8], [-2.4, -0.8]],
    # before scaling (0.5, 2), (2, 1.5), (-1, -1): 1.06, 1.0, 1.0 from the half circles
    "moons": [[0.0, 2.46], [2.11, 1.76], [-2.11, -1.76]],
    "circles": [[0.0, 0.0], [1.5, 0.0], [0.0, -1.5], [2.5, 2.5]],
    "8gaussians": [[0.0, 0.0], [0.7, 0.0], [2.3, 0.0], [0.0, -2.3]],
    "swissroll": [[0.0, 0.0], [5.0, 5.0], [-3.0, -3.0]],
    "pinwheel": [[4.0, 4.0], [-4.0, 0.0]],
}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_the_declared_supports_are_these() -> None:
    declared = {name for name, info in DATASET_INFO.items() if info.support is not None}
    assert declared == set(SHARE)
    for name in declared:
        assert DATASET_INFO[name].support_note  # what "on the support" means, in one line


def test_a_support_needs_a_note() -> None:
    with pytest.raises(ValueError, match="support_note"):
        DatasetInfo(Euclidean(2), "x", support=toy2d.checkerboard_support)


@pytest.mark.parametrize("name", sorted(SHARE))
def test_fresh_draws_are_on_the_support_at_the_promised_rate(name: str) -> None:
    x = BUILTIN_DATASETS[name](N, _gen(1))
    on = DATASET_INFO[name].support(x)
    assert on.dtype == torch.bool and on.shape == (N,)
    off = int((~on).sum())
    if SHARE[name] == EXACT:
        assert off == 0
    else:
        # the off count is Binomial(N, q) with q <= 1 - SHARE: allow its mean plus 4 standard
        # deviations (at most 17 of 20000; exceeded with probability below 1e-3 if the bound holds)
        q = 1.0 - SHARE[name]
        assert off <= N * q + 4.0 * math.sqrt(N * q * (1.0 - q))


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_known_empty_regions_are_off_the_support(name: str) -> None:
    support = DATASET_INFO[name].support
    points = torch.tensor(EMPTY[name])
    assert not support(points).any()
    # and the data come nowhere near them: no draw within 0.05
    x = BUILTIN_DATASETS[name](N, _gen(2))
    assert torch.cdist(points, x).min() > 0.05


@pytest.mark.parametrize("name", sorted(SHARE))
def test_non_finite_rows_are_off_and_shapes_are_checked(name: str) -> None:
    support = DATASET_INFO[name].support
    bad = torch.tensor([[math.nan, 0.0], [0.0, math.inf], [-math.inf, -math.inf]])
    assert support(bad).tolist() == [False, False, False]
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        support(torch.zeros(3, 3))


def test_checkerboard_cells_are_closed_and_exact() -> None:
    on = toy2d.checkerboard_support
    # corners and edges of black cells are on; the board's outer edge is on where black
    edges = torch.tensor([[-2.0, -2.0], [-1.0, -1.0], [-1.0, -1.5], [2.0, 2.0], [0.0, 0.5]])
    assert on(edges).all()
    # just inside the neighbouring white cells, or just off the board, is off
    eps = 1e-9
    outside = torch.tensor(
        [[-1.0 + eps, -1.5], [0.5, 0.0 - eps], [2.0 + eps, 1.5], [-2.0 - eps, -1.5]],
        dtype=torch.float64,
    )
    assert not on(outside).any()
    # against the definition on a grid of cell centres: black iff i + j even
    i, j = torch.meshgrid(torch.arange(4), torch.arange(4), indexing="ij")
    centres = torch.stack([i.flatten() - 1.5, j.flatten() - 1.5], dim=1)
    assert on(centres).tolist() == ((i + j) % 2 == 0).flatten().tolist()


def test_torus_board_is_periodic() -> None:
    on = DATASET_INFO["torus-checkerboard"].support
    x = BUILTIN_DATASETS["torus-checkerboard"](1000, _gen(3))
    for shift in ([2 * math.pi, 0.0], [0.0, -2 * math.pi], [math.pi, math.pi]):
        # a full period keeps every point on; half a period in both axes keeps the parity
        assert on(x.double() + torch.tensor(shift, dtype=torch.float64)).all()
    assert not on(x.double() + torch.tensor([math.pi / 2, 0.0], dtype=torch.float64)).any()


NOISE = {  # the sampler's noise constants, switched off to draw the noiseless shape
    "moons": ("moons", ["MOONS_NOISE"]),
    "circles": ("circles", ["CIRCLES_NOISE"]),
    "8gaussians": ("eight_gaussians", ["EIGHT_GAUSSIANS_STD"]),
    "swissroll": ("swissroll", ["SWISSROLL_NOISE"]),
}
WIDTH = {  # the band's half-width in the data set's own (scaled) coordinates
    "moons": 4 * toy2d.MOONS_NOISE / toy2d._MOONS_SCALE,
    "circles": 4 * toy2d.CIRCLES_NOISE,
    "8gaussians": 4 * toy2d.EIGHT_GAUSSIANS_STD,
    "swissroll": 4 * toy2d.SWISSROLL_NOISE / toy2d._SWISSROLL_SCALE,
}


@pytest.mark.parametrize("name", sorted(NOISE))
def test_the_band_is_the_stated_width_around_the_noiseless_shape(name, monkeypatch) -> None:
    fn, constants = NOISE[name]
    with monkeypatch.context() as patch:  # the support reads the constants too: patch the draw
        for c in constants:
            patch.setattr(toy2d, c, 0.0)
        shape = getattr(toy2d, fn)(20_000, _gen(4)).double().unique(dim=0)  # noiseless draws
    lo, hi = shape.min(0).values - 2 * WIDTH[name], shape.max(0).values + 2 * WIDTH[name]
    points = lo + (hi - lo) * torch.rand(4000, 2, generator=_gen(5), dtype=torch.float64)
    distance = torch.cdist(points, shape).amin(1)
    # brute force: within the width of some drawn point of the shape. The draws leave gaps of
    # at most ~1e-2 along the shape, so near the band's edge (the width is >= 0.12) the nearest
    # draw is within ~1e-4 of the distance to the shape; points within 1e-3 of the edge (where
    # the polylines' 3e-4 also matter) are left out.
    clear = (distance - WIDTH[name]).abs() > 1e-3
    on = DATASET_INFO[name].support(points)
    expected = distance <= WIDTH[name]
    assert clear.float().mean() > 0.95
    assert 0.05 < expected[clear].float().mean() < 0.95  # the box holds both kinds
    assert torch.equal(on[clear], expected[clear])


def test_pinwheel_band_is_the_tangential_width_around_each_arm(monkeypatch) -> None:
    on = DATASET_INFO["pinwheel"].support
    with monkeypatch.context() as patch:  # the support reads the constant too: patch the draw
        patch.setattr(toy2d, "PINWHEEL_TANGENTIAL_STD", 0.0)
        arms = toy2d.pinwheel(20_000, _gen(6)).double()  # the arm curves, r = 1 + 0.3 xi
    radius = (arms * toy2d._PINWHEEL_SCALE).norm(dim=1)  # |c(r)| = |r|
    assert on(arms[(radius > 0.25) & (radius < 2.15)]).all()
    # across an arm at r = 1, along the curve's normal: on within 0.4 (before scaling), off beyond
    for k in range(5):
        theta = 2 * math.pi * k / 5 + 0.25 * math.e  # d theta / dr = 0.25 e^r
        c = torch.tensor([math.cos(theta), -math.sin(theta)], dtype=torch.float64)
        tangent = c + 0.25 * math.e * torch.tensor([-math.sin(theta), -math.cos(theta)])
        n = torch.stack([-tangent[1], tangent[0]]) / tangent.norm()
        offsets = torch.tensor([-0.39, 0.0, 0.39, -0.45, 0.45], dtype=torch.float64)
        points = (c + offsets[:, None] * n) / toy2d._PINWHEEL_SCALE
        assert on(points).tolist() == [True, True, True, False, False]
