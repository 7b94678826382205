"""C2ST AUC: 0.5 for samples of one law, near 1 for a visible difference."""

import pytest
import torch

from dmm.metrics import c2st_auc, c2st_null_sd


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


def test_the_null_spread_is_mann_whitney_and_the_test_has_it():
    # closed form: sqrt((2n + 1) / (12 n^2)), about 1/sqrt(6n)
    assert c2st_null_sd(1) == pytest.approx((3 / 12) ** 0.5)
    assert c2st_null_sd(2000) == pytest.approx(1 / (6 * 2000) ** 0.5, rel=1e-3)
    with pytest.raises(ValueError):
        c2st_null_sd(0)
    # 40 pairs of samples of one law, 60 rows each: the AUCs' standard deviation estimates the
    # null sd (0.052) with a relative standard error of about 1/sqrt(78) = 11%; [0.7, 1.4] is
    # about three of them each way. A pipeline that leaked labels into its scores, or whose
    # folds shared rows, would not have this spread around 1/2.
    g = torch.Generator().manual_seed(0)
    aucs = torch.tensor(
        [
            c2st_auc(
                torch.randn(60, 2, generator=g),
                torch.randn(60, 2, generator=g),
                seed=i,
                max_iter=20,
            )
            for i in range(40)
        ]
    )
    assert abs(float(aucs.mean()) - 0.5) < 3 * c2st_null_sd(60) / 40**0.5
    assert 0.7 < float(aucs.std()) / c2st_null_sd(60) < 1.4
