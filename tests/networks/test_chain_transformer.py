"""The transformer backbone: shapes, context input, and permutation equivariance without
positions."""

import pytest
import torch

from dmm.networks import Transformer


def test_shapes_and_context():
    torch.manual_seed(0)  # test-only: parameter initialisation
    net = Transformer(d=5, n_tokens=4, dim_out=3, width=16, depth=2, heads=2, context_dim=2)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (7, 5)), 4).float().reshape(7, -1)
    out = net(x, torch.rand(7), torch.randn(7, 2))
    assert out.shape == (7, 15)
    assert torch.all(out == 0)  # zero-initialised head: a model starts at uniform logits / ratio 1
    with pytest.raises(ValueError, match="context"):
        net(x, torch.rand(7))


def test_permutation_equivariance_without_position_embedding():
    # attention is permutation-equivariant: with the position embedding zeroed, permuting positions
    # permutes outputs (float32, atol 1e-5) — checks the reshapes keep positions apart
    torch.manual_seed(1)
    net = Transformer(d=6, n_tokens=3, dim_out=2, width=16, depth=2, heads=4)
    with torch.no_grad():
        net.position.zero_()
        net.head.weight.normal_()
    tokens = torch.randint(0, 3, (4, 6))
    perm = torch.randperm(6)

    def run(tk):
        return net(torch.nn.functional.one_hot(tk, 3).float().reshape(4, -1), torch.full((4,), 0.3))

    a = run(tokens).reshape(4, 6, 2)[:, perm]
    b = run(tokens[:, perm]).reshape(4, 6, 2)
    assert torch.allclose(a, b, atol=1e-5)
