"""Random observed subsets as context (``ObservedSubsets``): the context shows exactly the observed
entries, the subset law is the documented one, and the loss ranks the exact conditional score of
a correlated Gaussian above the exact unconditional score (MATH.md §9: closed-form scores)."""

import pytest
import torch

from dmm.losses import DenoisingScoreMatching, ObservedSubsets, observed_context
from dmm.processes import VP
from dmm.spaces import Discrete, Euclidean, Torus
from dmm.spaces.positive import PositiveOrthant
from dmm.spaces.product import Product

RHO = 0.9
COV = torch.tensor([[1.0, RHO], [RHO, 1.0]])


def _spaces():
    return [
        (Euclidean(3), lambda n, g: torch.randn(n, 3, generator=g)),
        (Discrete(3, 4, mask=True), lambda n, g: torch.randint(0, 5, (n, 3), generator=g)),
        (Torus(2), lambda n, g: torch.rand(n, 2, generator=g) * 6.0 - 3.0),
        (PositiveOrthant(2), lambda n, g: torch.rand(n, 2, generator=g) + 0.1),
    ]


def _product():
    parts = _spaces()
    space = Product(*(s for s, _ in parts))

    def draw(n, g):
        return space.join([d(n, g) for _, d in parts])

    return space, draw


@pytest.mark.parametrize("which", ["euclidean", "discrete", "torus", "positive", "product"])
def test_the_context_shows_the_observed_entries_and_nothing_else(which):
    if which == "product":
        space, draw = _product()
    else:
        space, draw = dict(zip(["euclidean", "discrete", "torus", "positive"], _spaces()))[which]
    g = torch.Generator().manual_seed(0)
    x, other = draw(64, g), draw(64, g)
    observed = torch.rand(x.shape, generator=g) < 0.5
    ctx = observed_context(space, x, observed)
    # changing the hidden entries changes nothing; changing every entry changes the shown ones
    hidden_changed = torch.where(observed, x, other)
    assert torch.equal(ctx, observed_context(space, hidden_changed, observed))
    moved = observed_context(space, other, observed)
    shown = space.feature_mask(observed.reshape(64, *space.event_shape))
    assert shown.shape == (64, space.feature_dim)
    differs = (moved[:, : space.feature_dim] != ctx[:, : space.feature_dim]).any(dim=1)
    has_shown_change = (observed & (x != other)).reshape(64, -1).any(dim=1)
    assert torch.equal(differs, has_shown_change)
    # the mask itself travels at the end
    assert torch.equal(ctx[:, space.feature_dim :], observed.reshape(64, -1).float())


def test_the_subset_law():
    # 40 000 rows: the share of empty subsets is 0.5 ± 0.0025 (one standard error); of the
    # others, the share of shown entries is E[u] = 1/2, and the share of rows showing all four
    # entries is E[u^4] = 1/5. Tolerances: 5 standard errors.
    loss = ObservedSubsets(DenoisingScoreMatching(VP(4)), unconditional=0.5)
    g = torch.Generator().manual_seed(1)
    m = loss.draw_subsets(torch.zeros(40_000, 4), g)
    empty = ~m.any(dim=1)
    # a non-empty draw can show nothing too (probability E[(1-u)^4] = 1/5 of those rows)
    assert abs(empty.float().mean().item() - (0.5 + 0.5 / 5)) < 5 * 0.0025
    assert abs(m.float().mean().item() - 0.25) < 5 * 0.0025
    assert abs(m.all(dim=1).float().mean().item() - 0.1) < 5 * 0.0015


class _GaussianOracle(torch.nn.Module):
    """The exact score of ``p_t(y | x_0^m)`` for ``x_0 ~ N(0, COV)`` under VP, reading ``m`` and
    ``x_0^m`` from the context (``conditional=False``: the unconditional score, ignoring it)."""

    def __init__(self, process, conditional):
        super().__init__()
        self.process, self.conditional = process, conditional

    def score(self, y, t, context=None):
        alpha, std = (v.reshape(-1, 1, 1) for v in self.process.kernel(t))
        n = y.shape[0]
        mean = torch.zeros(n, 2)
        cov = COV.expand(n, 2, 2).clone()
        if self.conditional:
            values, m = context[:, :2], context[:, 2:4].bool()
            for j in (0, 1):  # exactly one entry shown: the other's conditional law
                i, one = 1 - j, m[:, j] & ~m[:, 1 - j]
                mean[one, j], mean[one, i] = values[one, j], RHO * values[one, j]
                c = torch.zeros(2, 2)
                c[i, i] = 1 - RHO**2
                cov[one] = c
            both = m.all(dim=1)
            mean[both], cov[both] = values[both], 0.0
        total = alpha**2 * cov + std**2 * torch.eye(2)
        diff = y - alpha[:, 0] * mean
        return -torch.linalg.solve(total, diff.unsqueeze(-1)).squeeze(-1)


def test_the_loss_ranks_the_exact_conditional_score_first():
    # Common random numbers: both oracles see the same t, noise and subsets, so the per-row
    # difference of their losses is the gap between E||s_cond - target||² and E||s - target||²,
    # which is positive (the conditional score is the minimiser over functions of (y, t, c)).
    # 20 000 rows; we require the mean gap above 6 standard errors. With unconditional=1 both
    # see nothing and agree to rounding.
    process = VP(2)
    g = torch.Generator().manual_seed(2)
    x0 = torch.randn(20_000, 2, generator=g) @ torch.linalg.cholesky(COV).T
    loss = ObservedSubsets(DenoisingScoreMatching(process))
    cond, plain = _GaussianOracle(process, True), _GaussianOracle(process, False)
    a = loss.per_sample(cond, x0, torch.Generator().manual_seed(3))
    b = loss.per_sample(plain, x0, torch.Generator().manual_seed(3))
    gap = b - a
    assert gap.mean() > 6 * gap.std() / len(gap) ** 0.5
    blind = ObservedSubsets(DenoisingScoreMatching(process), unconditional=1.0)
    a = blind.per_sample(cond, x0, torch.Generator().manual_seed(3))
    b = blind.per_sample(plain, x0, torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)


def test_the_kl_form_is_the_unconditional_model():
    loss = ObservedSubsets(DenoisingScoreMatching(VP(2)), unconditional=0.3)
    assert loss.kl_form().unconditional == 1.0
    assert loss.width == 2 + 2
    with pytest.raises(ValueError):
        ObservedSubsets(DenoisingScoreMatching(VP(2)), unconditional=1.5)
