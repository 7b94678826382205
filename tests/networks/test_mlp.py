"""The MLP backbone's optional Fourier input features."""

import math

import pytest
import torch

from dmm.networks import MLP, FourierFeatures


def test_fourier_features_are_the_coordinates_and_their_sines_and_cosines():
    x = torch.tensor([[0.25, -0.5]])
    out = FourierFeatures(2, 2)(x)
    # layout: x, then sin of (x_1 f_0, x_1 f_1, x_2 f_0, x_2 f_1), then the cosines
    args = torch.tensor([0.25 * math.pi, 0.5 * math.pi, -0.5 * math.pi, -math.pi])
    torch.testing.assert_close(out, torch.cat([x[0], args.sin(), args.cos()])[None])
    assert FourierFeatures(3, 4).dim_out == 27


def test_fourier_mlp_starts_at_zero_and_learns_an_edge_a_plain_one_blurs():
    # A step in x at 0 (a checkerboard edge, in one coordinate): after the same 300 Adam steps the
    # Fourier MLP's error at the points nearest the edge is far below the plain MLP's. Measured
    # mean square errors on |x| < 0.1: 1.1e-4 with features, 5.5e-3 without; the test asks for
    # a factor 5.
    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 401)[:, None]
    y = (x > 0).float()
    t = torch.zeros(len(x))
    errors = {}
    for n in (0, 5):
        net = MLP(1, 1, hidden=64, depth=2, fourier=n)
        assert net(x, t).abs().max() == 0  # zero-initialised output layer
        opt = torch.optim.Adam(net.parameters(), lr=3e-3)
        for _ in range(300):
            opt.zero_grad()
            loss = ((net(x, t) - y) ** 2).mean()
            loss.backward()
            opt.step()
        near = x[:, 0].abs() < 0.1
        with torch.no_grad():
            errors[n] = float(((net(x, t) - y)[near] ** 2).mean())
    assert errors[5] < 0.2 * errors[0]


@pytest.mark.parametrize("count", [-1, 128, 200])
def test_fourier_needs_a_count_whose_frequencies_exist(count):
    """200 frequencies overflowed float32 (π 2^k from k = 127): NaN features."""
    with pytest.raises(ValueError, match=r"must be in \[0, 127\] \(at most 20 for a new run\)"):
        MLP(2, 2, fourier=count)
    MLP(2, 2, fourier=127)  # a run recorded before the bound of 20 on new runs loads


def test_grouped_rows_share_their_time_and_context_and_equal_the_flat_call():
    # x (batch, group, dim_in) with t and context per batch row = the flat call on the repeated
    # times and contexts, row for row
    torch.manual_seed(0)
    net = MLP(3, 2, hidden=16, depth=2, context_dim=2, fourier=2)
    torch.nn.init.normal_(net.out.weight)
    x, t, ctx = torch.randn(5, 4, 3), torch.rand(5), torch.randn(5, 2)
    grouped = net(x, t, ctx)
    flat = net(x.reshape(20, 3), t.repeat_interleave(4), ctx.repeat_interleave(4, 0))
    assert grouped.shape == (5, 4, 2) and flat.abs().max() > 0
    torch.testing.assert_close(grouped.reshape(20, 2), flat)
