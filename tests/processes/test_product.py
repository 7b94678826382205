"""Products of processes (MATH.md §10): the row layout, the factorised kernel and reference, the
generator as a sum over factors, and the public checks."""

import pytest
import torch

from dmm.processes import VP, AbsorbingChain, TorusJump, UniformChain, product
from dmm.spaces import SupportError
from dmm.testing import check_process


def test_rows_hold_the_factors_side_by_side():
    p = product(VP(2), AbsorbingChain(S=5, d=1), TorusJump(1))
    space = p.space
    assert space.event_shape == (4,) and space.widths == (2, 1, 1)
    x = torch.tensor([[0.5, -1.0, 3.0, 0.2]])
    real, cat, angle = space.split(x)
    assert cat.dtype == torch.long and cat.tolist() == [[3]]
    assert torch.equal(space.join([real, cat, angle]), x)
    assert torch.equal(space.insert(space.others(x, 1), 1, cat), x)
    with pytest.raises(SupportError, match="column 2:"):
        space.validate(torch.tensor([[0.5, -1.0, 7.0, 0.2]]))  # category outside 0..4
    with pytest.raises(SupportError, match="expected"):
        space.validate(torch.zeros(3, 5))


def test_kernel_reference_and_terminal_bound_factorise():
    a, b = VP(2), UniformChain(1, 3)
    p = product(a, b)
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([[1.0, -1.0, 2.0]]).expand(20000, 3)
    t = torch.full((20000,), 0.3)
    xt = p.sample_transition(x0, t, g)
    # each factor's kernel on its own columns: the chain keeps its value w.p. α + (1-α)/3
    stay = torch.exp(-b.chain.integral(torch.tensor(0.3)))
    kept = (xt[:, 2] == 2).double().mean()
    assert abs(kept - (stay + (1 - stay) / 3)) < 4 * (0.25 / 20000) ** 0.5
    mean = torch.exp(-0.5 * a.schedule.integral(torch.tensor(0.3))) * torch.tensor([1.0, -1.0])
    assert (xt[:, :2].mean(0) - mean).abs().max() < 0.03
    # terminal bound: the sum of the factors' (MATH.md §10)
    want = a.terminal_kl(x0[:5, :2]) + b.terminal_kl(x0[:5, 2:].long())
    assert torch.allclose(p.terminal_kl(x0[:5]), want)
    tv = a.terminal_tv(x0[:5, :2]) + b.terminal_tv(x0[:5, 2:].long())  # Pinsker per factor
    assert torch.allclose(p.terminal_tv(x0[:5]), tv.clamp(max=1.0))
    q = p.reference.sample(7, g)
    assert q.shape == (7, 3) and not p.space.outside(q).any()


def test_factors_must_share_the_time_horizon():
    with pytest.raises(ValueError, match="share T"):
        product(VP(2, T=1.0), TorusJump(1, T=2.0))
    with pytest.raises(ValueError, match="two processes"):
        product(VP(2))


def test_a_product_passes_the_public_checks():
    # generator = Σ_k L^k ⊗ id (Dynkin), finite simulation and the reference reached at T
    p = product(VP(2), AbsorbingChain(S=5, d=1))
    x0 = torch.tensor([[0.5, -1.0, 2.0], [1.0, 0.3, 4.0]])
    results = check_process(p, x0, n=4000)
    assert sum(r.applicable for r in results) >= 6


def test_every_family_reads_t_as_a_number_or_one_time_per_row():
    """sample_marginal took t of shape (n, 1) silently as (n, n, d) for GBM and the torus, and
    refused a number or a 0-d tensor for some families and not others."""
    from dmm.processes import (
        GBM,
        VP,
        AbsorbingChain,
        LevyOU,
        SO3Brownian,
        TorusBrownian,
        TorusJump,
        UniformChain,
        product,
    )

    g = torch.Generator().manual_seed(0)
    cases = [
        (VP(2), torch.randn(4, 2)),
        (GBM(2), torch.rand(4, 2) + 0.5),
        (TorusBrownian(2), torch.rand(4, 2)),
        (TorusJump(2), torch.rand(4, 2)),
        (LevyOU.student_t(2), torch.randn(4, 2)),
        (SO3Brownian(), torch.eye(3).repeat(4, 1, 1)),
        (UniformChain(d=2, S=3), torch.randint(0, 3, (4, 2))),
        (product(VP(1), AbsorbingChain(S=3, d=1)), torch.tensor([[0.5, 1.0]] * 4)),
    ]
    for process, x0 in cases:
        for t in (0.5, torch.tensor(0.5), torch.full((4,), 0.5), torch.tensor([0.5])):
            assert process.sample_marginal(x0, t, g).shape == x0.shape, process
        with pytest.raises(ValueError, match=r"t has shape \(4, 1\): give a number"):
            process.sample_marginal(x0, torch.full((4, 1), 0.5), g)
