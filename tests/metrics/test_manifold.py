"""k-NN precision and recall: exact limits, a dropped mode, and a brute-force O(n^2) check."""

from __future__ import annotations

import pytest
import torch

import dmm.metrics
from dmm.metrics import in_knn_manifold, knn_radii, precision_recall


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_exported() -> None:
    assert dmm.metrics.precision_recall is precision_recall
    assert {"precision_recall", "knn_radii", "in_knn_manifold"} <= set(dmm.metrics.__all__)


def test_identical_sets_are_fully_precise_and_recalled() -> None:
    x = torch.randn(500, 2, 3, generator=_gen(0))  # (n, ...) rows are flattened to R^6
    out = precision_recall(x, x.clone())
    assert out == {"precision": 1.0, "recall": 1.0, "k": 3, "n_samples": 500, "n_reference": 500}


def test_duplicated_rows_are_inside_their_own_zero_radius_ball() -> None:
    # discrete data: every row has more than k exact copies, so every radius is 0; a sample equal
    # to a reference row is still inside (closed balls, distances of equal rows exactly 0)
    x = torch.randint(0, 3, (300, 2), generator=_gen(1)).float()  # 9 distinct rows
    assert set(map(tuple, x[:150].tolist())) == set(map(tuple, x.tolist()))  # all 9 in x[:150]
    assert knn_radii(x, 3).max() == 0.0
    out = precision_recall(x[:150], x)
    assert out["precision"] == 1.0 and out["recall"] == 1.0


def test_far_away_samples_are_neither_precise_nor_recalled() -> None:
    ref = torch.randn(400, 2, generator=_gen(2))
    out = precision_recall(ref + 100.0, ref)  # radii are O(0.1), the shift 100
    assert out["precision"] == 0.0 and out["recall"] == 0.0


def test_one_of_two_modes_is_precise_with_half_the_recall() -> None:
    g = _gen(3)
    centers = torch.tensor([[-5.0, 0.0], [5.0, 0.0]])
    ref = torch.cat([centers[i] + 0.5 * torch.randn(1000, 2, generator=g) for i in (0, 1)])
    samples = centers[0] + 0.5 * torch.randn(2000, 2, generator=g)  # only the first mode
    out = precision_recall(samples, ref)
    # Precision: a fresh draw of one Gaussian lies in the union of the k = 3 NN balls of 1000
    # draws of it with probability about 0.97 (0.955..0.986 over 30 seeds), so >= 0.93.
    assert 0.93 <= out["precision"] <= 1.0
    # Recall: the second mode's 1000 rows are 10 apart from every sample (sample radii are
    # O(0.1)), so recall <= 0.5 exactly; the first mode's rows are covered at the same ~0.97 rate
    # by the denser samples (0.485..0.4965 over 30 seeds), so >= 0.47.
    assert 0.47 <= out["recall"] <= 0.5


def _brute(samples: torch.Tensor, reference: torch.Tensor, k: int) -> tuple[float, float]:
    """The definition, written out pair by pair with explicit differences."""

    def radii(a: torch.Tensor) -> list[float]:
        out = []
        for i in range(len(a)):
            d = sorted(float((a[i] - a[j]).norm()) for j in range(len(a)) if j != i)
            out.append(d[k - 1])
        return out

    def share(points: torch.Tensor, centers: torch.Tensor) -> float:
        r = radii(centers)
        inside = [any(float((p - c).norm()) <= r[j] for j, c in enumerate(centers)) for p in points]
        return sum(inside) / len(points)

    x = samples.reshape(len(samples), -1).double()
    y = reference.reshape(len(reference), -1).double()
    return share(x, y), share(y, x)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_matches_a_brute_force_computation(k: int) -> None:
    g = _gen(4 + k)
    ref = torch.randn(37, 3, generator=g)
    # half the samples near the reference, half 3 away: some balls hold them, some do not
    samples = torch.cat([torch.randn(15, 3, generator=g), torch.randn(14, 3, generator=g) + 3.0])
    precision, recall = _brute(samples, ref, k)
    assert 0.0 < precision < 1.0 and 0.0 < recall < 1.0  # a case where the balls matter
    for chunk in (None, 1, 7):  # the result does not depend on the row blocks
        out = precision_recall(samples, ref, k, chunk_size=chunk)
        assert out["precision"] == pytest.approx(precision, abs=1e-12)
        assert out["recall"] == pytest.approx(recall, abs=1e-12)
    d = torch.cdist(ref.double(), ref.double()) + torch.diag(torch.full((37,), torch.inf))
    expected = torch.sort(d, dim=1).values[:, k - 1]
    torch.testing.assert_close(knn_radii(ref, k, chunk_size=5), expected, rtol=1e-12, atol=1e-12)


def test_membership_is_closed_balls() -> None:
    centers = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    radii = torch.tensor([1.0, 0.5])
    points = torch.tensor(
        [[1.0, 0.0], [1.0 + 1e-9, 0.0], [10.0, -0.5], [5.0, 5.0]], dtype=torch.float64
    )
    assert in_knn_manifold(points, centers, radii).tolist() == [True, False, True, False]
    nan = torch.tensor([[float("nan"), 0.0]])
    assert in_knn_manifold(nan, centers, radii).tolist() == [False]


@pytest.mark.parametrize("k", [0, -1, 2.0, True, "3"])
def test_k_must_be_a_positive_integer(k) -> None:
    x = torch.randn(20, 2, generator=_gen(5))
    with pytest.raises(ValueError, match="positive integer"):
        precision_recall(x, x, k)


def test_k_needs_more_rows_than_k_in_both_sets() -> None:
    x = torch.randn(20, 2, generator=_gen(6))
    with pytest.raises(ValueError, match="reference rows"):
        precision_recall(x, x[:3], 3)
    with pytest.raises(ValueError, match="samples"):
        precision_recall(x[:3], x, 3)
    assert precision_recall(x[:4], x[:4], 3)["precision"] == 1.0  # k + 1 rows are enough


def test_feature_counts_must_agree() -> None:
    with pytest.raises(ValueError, match="features per row"):
        precision_recall(torch.zeros(10, 2), torch.zeros(10, 3))
