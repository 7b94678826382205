"""SymmetricTensorLayout: packing round trip and rotation against moments of rotated point sets."""

import pytest
import torch

from dmm.data.so3 import view_context
from dmm.networks import SymmetricTensorLayout
from dmm.processes.manifold_brownian import quaternion_to_matrix

SOLIDS = ["tetrahedral", "octahedral", "cyclic"]


def _haar(n, seed):
    # float64 rotations (exactly orthogonal to rounding), so identities hold to 1e-12
    q = torch.randn(n, 4, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return quaternion_to_matrix(q / q.norm(dim=1, keepdim=True))


def test_layout_sizes_and_round_trip():
    layout = SymmetricTensorLayout((1, 3, 4))
    assert layout.sizes == [3, 10, 15] and layout.dim == 28
    x = torch.randn(5, 28, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    full = layout.unpack(x)
    assert [t.shape for t in full] == [(5, 3), (5, 3, 3, 3), (5, 3, 3, 3, 3)]
    # unpacked tensors are symmetric: transposing any two indices changes nothing (exact copies)
    assert torch.equal(full[2], full[2].transpose(1, 4)) and torch.equal(
        full[1], full[1].transpose(1, 2)
    )
    assert torch.equal(layout.pack(full), x)
    with pytest.raises(ValueError, match="28"):
        layout.unpack(x[:, :27])


@pytest.mark.parametrize("solid", SOLIDS)
def test_rotation_maps_moments_of_points_to_moments_of_rotated_points(solid):
    # exact oracle: Q·(Σ_v (Rv)^{⊗k}) = Σ_v (QRv)^{⊗k}; float64, so 1e-12 is rounding only
    layout = SymmetricTensorLayout((1, 3, 4))
    r, q = _haar(16, 1), _haar(16, 2)
    torch.testing.assert_close(
        layout.rotate(view_context(r, solid), q), view_context(q @ r, solid), atol=1e-12, rtol=0
    )


def test_rotation_is_a_group_action():
    layout = SymmetricTensorLayout((2, 4))
    x = torch.randn(8, layout.dim, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    q1, q2 = _haar(8, 4), _haar(8, 5)
    both = layout.rotate(layout.rotate(x, q1), q2)
    torch.testing.assert_close(both, layout.rotate(x, q2 @ q1), atol=1e-12, rtol=0)
    eye = torch.eye(3, dtype=torch.float64).expand(8, 3, 3)
    torch.testing.assert_close(layout.rotate(x, eye), x, atol=1e-14, rtol=0)
