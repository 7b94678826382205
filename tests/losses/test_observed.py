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


class _Scrambled(_GaussianOracle):
    """The conditional oracle with nonsense added at the entries the context shows."""

    def score(self, y, t, context=None):
        shown = context[:, 2:4]
        return super().score(y, t, context) + 7.0 * shown * (1.0 + y**2)


def test_scoring_only_the_hidden_entries_ignores_the_model_at_the_shown_ones():
    # score_observed=False: the loss cannot see what the model says at the entries the context
    # shows (equal to rounding), the whole-row loss does; and it still ranks the exact
    # conditional score above the unconditional one (6 standard errors, as above)
    process = VP(2)
    g = torch.Generator().manual_seed(4)
    x0 = torch.randn(20_000, 2, generator=g) @ torch.linalg.cholesky(COV).T
    hidden = ObservedSubsets(DenoisingScoreMatching(process), score_observed=False)
    whole = ObservedSubsets(DenoisingScoreMatching(process))
    cond, scrambled = _GaussianOracle(process, True), _Scrambled(process, True)
    plain = _GaussianOracle(process, False)

    def per(loss, model):
        return loss.per_sample(model, x0, torch.Generator().manual_seed(5))

    torch.testing.assert_close(per(hidden, cond), per(hidden, scrambled))
    assert (per(whole, scrambled) - per(whole, cond)).mean() > 1.0
    gap = per(hidden, plain) - per(hidden, cond)
    assert gap.mean() > 6 * gap.std() / len(gap) ** 0.5
    # rows with no entry shown are scored whole: with unconditional=1 both forms agree
    blind = ObservedSubsets(DenoisingScoreMatching(process), 1.0, score_observed=False)
    shown_none = ObservedSubsets(DenoisingScoreMatching(process), 1.0)
    torch.testing.assert_close(per(blind, scrambled), per(shown_none, scrambled))


def test_a_product_loss_sums_each_factors_scored_entries():
    # the terms of a product of a diffusion, a positive diffusion and two chains add over the
    # entries: scoring a subset and its complement (same draws) gives the whole row's loss, and
    # scoring nothing gives zero
    from dmm.losses import ImplicitScoreMatching
    from dmm.processes import AbsorbingChain, OrdinalChain
    from dmm.processes.positive import GeometricOU
    from dmm.processes.product import product
    from dmm.recipe import recipe

    p = product(VP(2), GeometricOU(2, T=1.0), OrdinalChain(2, 4), AbsorbingChain(S=3, d=2))
    r = recipe(p, hidden=32, depth=1)
    torch.nn.init.normal_(r.model.net.out.weight, std=0.3)  # a model with something to say
    g = torch.Generator().manual_seed(6)
    x0 = p.space.join(
        [
            torch.randn(256, 2, generator=g),
            torch.rand(256, 2, generator=g) + 0.5,
            torch.randint(0, 4, (256, 2), generator=g),
            torch.randint(0, 3, (256, 2), generator=g),
        ]
    )
    some = torch.rand(x0.shape, generator=g) < 0.5

    def per(scored):
        return r.loss.per_sample(r.model, x0, torch.Generator().manual_seed(7), scored=scored)

    with torch.no_grad():
        whole, part, rest = per(None), per(some), per(~some)
        nothing = per(torch.zeros_like(some))
    torch.testing.assert_close(part + rest, whole, rtol=1e-5, atol=1e-5)
    assert (part - whole).abs().max() > 1e-3 and torch.equal(nothing, torch.zeros_like(nothing))
    with pytest.raises(ValueError, match="sums over a row's entries"):
        ObservedSubsets(ImplicitScoreMatching(VP(2)), score_observed=False)
    with pytest.raises(ValueError, match="cannot sum a subset"):
        ImplicitScoreMatching(VP(2)).per_sample(r.model, x0[:, :2], None, scored=some[:, :2])
