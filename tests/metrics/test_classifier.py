"""C2ST AUC: 0.5 for samples of one law, near 1 for a visible difference."""

import torch

from dmm.metrics import c2st_auc


def test_same_law_is_near_one_half_and_a_blur_is_seen():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[-2.0, 0.0], [2.0, 0.0]])

    def sharp(n: int, s: float) -> torch.Tensor:
        return centres[torch.randint(0, 2, (n,), generator=g)] + s * torch.randn(n, 2, generator=g)

    a, b = sharp(1500, 0.1), sharp(1500, 0.1)
    # same law: the cross-validated AUC of 3000 points has a standard deviation of about 0.01
    assert abs(c2st_auc(a, b) - 0.5) < 0.05
    # the same centres, blurred threefold: energy distance barely moves, the classifier sees it
    assert c2st_auc(sharp(1500, 0.3), b) > 0.85
