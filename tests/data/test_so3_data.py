"""Built-in SO(3) and torus data sets and the SO(3) metrics."""

import math

import torch

from dmm.data import load_data
from dmm.data.so3 import (
    mixture_means,
    symmetric_solid,
    symmetry_group,
    torus_vonmises,
    view_context,
)
from dmm.metrics.so3 import fraction_within, mode_coverage, symmetric_pose_metrics
from dmm.processes.manifold_brownian import Haar
from dmm.spaces import Torus
from dmm.spaces.so3 import SO3


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_groups_have_the_right_order_and_are_groups():
    for name, order in [("tetrahedral", 12), ("octahedral", 24), ("cyclic", 4)]:
        g = symmetry_group(name)
        assert len(g) == order
        SO3().validate(g)
        # closed under products: every g_i g_j is some g_k
        prod = (g[:, None] @ g[None]).reshape(-1, 1, 3, 3)
        assert ((prod - g[None]).abs().amax((-1, -2)).min(1).values < 1e-5).all()


def test_view_context_is_invariant_exactly_under_the_group():
    r = Haar().sample(64, _gen())
    for name in ["tetrahedral", "octahedral", "cyclic"]:
        g = symmetry_group(name)
        c = view_context(r, name)
        for k in range(len(g)):
            assert (view_context(r @ g[k], name) - c).abs().max() < 1e-5
        # a small rotation outside G changes it (stabiliser is G, not larger): 0.1 rad about x
        small = torch.linalg.matrix_exp(torch.tensor([[0, 0, 0], [0, 0, -0.1], [0, 0.1, 0.0]]))
        assert (view_context(r @ small, name) - c).abs().amax(1).min() > 1e-3


def test_symmetric_solid_poses_are_equivalent_to_the_view():
    poses, ctx = symmetric_solid(500, _gen(1), "tetrahedral")
    SO3().validate(poses)
    torch.testing.assert_close(view_context(poses, "tetrahedral"), ctx, atol=1e-5, rtol=0)


def test_mixture_data_and_metrics():
    x = load_data("so3-mixture-64", 4000, _gen(2))
    SO3().validate(x)
    means = mixture_means(64)
    # per-axis std 0.1: the angle is 0.1·χ_3, P(χ_3 > 3.49) ≈ 0.006, so ≥ 98% within 20°
    assert fraction_within(x, means, math.radians(20)) > 0.98
    assert mode_coverage(x, means, math.radians(20)) == 1.0
    haar = Haar().sample(4000, _gen(3))
    # Haar mass of 64 balls of 20°: 64·(ω - sin ω)/π ≈ 0.29 (balls barely overlap)
    assert (
        abs(
            fraction_within(haar, means, math.radians(20))
            - 64 * (0.349 - math.sin(0.349)) / math.pi
        )
        < 0.05
    )
    one_mode = means[:1].expand(100, 3, 3)
    assert mode_coverage(one_mode, means, 0.1) == 1 / 64


def test_symmetric_pose_metrics_exact_cases():
    g = symmetry_group("octahedral")
    r = Haar().sample(1, _gen(4))[0]
    m = symmetric_pose_metrics(r @ g, r, g, 0.1)
    assert m["precision"] == 1.0 and m["coverage"] == 1.0
    assert m["median_angle"] < 1e-3  # float32 rotations: the angle of ~I is ~1e-4 (acos-free atan2)
    m = symmetric_pose_metrics((r @ g)[:6], r, g, 0.1)
    assert m["coverage"] == 0.25
    # samples 0.05 rad from their poses (about a fixed body axis): median angle 0.05
    tilt = torch.linalg.matrix_exp(torch.tensor([[0, 0, 0], [0, 0, -0.05], [0, 0.05, 0.0]]))
    m = symmetric_pose_metrics(r @ g @ tilt, r, g, 0.1)
    assert abs(m["median_angle"] - 0.05) < 1e-4 and m["precision"] == 1.0


def test_torus_vonmises_on_the_torus():
    x = torus_vonmises(2000, _gen(5))
    Torus(2).validate(x)
    assert torch.equal(x, load_data("torus-vonmises", 2000, _gen(5)))


def test_mixture_log_prob_is_a_normalised_density():
    # E_Haar[p(x)] = 1: std 0.3, K = 4 keeps the Monte Carlo variance small (E_Haar p² ≈ 16, so
    # the mean of 400k draws has std ≈ 0.006); tolerance 0.03 = 5 standard deviations
    from dmm.data.so3 import so3_mixture_log_prob

    haar = Haar().sample(400_000, _gen(7)).double()
    mean = so3_mixture_log_prob(haar, K=4, std=0.3).exp().mean()
    assert abs(float(mean) - 1) < 0.03
    # at a mean, the density is K⁻¹ 8π² (2πσ²)^{-3/2} (other modes are > 5σ away: rel. 1e-5)
    at_mean = so3_mixture_log_prob(mixture_means(4).double()[:1], K=4, std=0.05)
    expect = math.log(8 * math.pi**2 / 4) - 1.5 * math.log(2 * math.pi * 0.05**2)
    assert abs(float(at_mean) - expect) < 1e-4
