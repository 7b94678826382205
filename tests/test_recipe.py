"""Recipes derived from the blocks: the model heads, the loss and the sampler of any process."""

import pytest
import torch

from dmm.losses import (
    DenoisingScoreMatching,
    ImplicitScoreMatching,
    LatentScoreMatching,
    ScoreEntropy,
    SumLoss,
)
from dmm.losses.product import ProductLoss
from dmm.losses.score_entropy_jumps import DenoisingJumpScoreEntropy, ImplicitScoreEntropy
from dmm.losses.times import LogUniformMixture, UniformTimes
from dmm.processes import (
    GBM,
    SDE,
    VP,
    AbsorbingChain,
    Block,
    Diffusion,
    GaussianJumps,
    Jumps,
    LevyOU,
    MissingCapability,
    Process,
    TorusJump,
    product,
)
from dmm.processes.references import SimulatedReference
from dmm.recipe import recipe
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, JumpTauLeaping, Splitting, TweedieStep, simulate
from dmm.samplers.product import ProductSampler
from dmm.scores import (
    DirectRatio,
    EpsParam,
    JumpDiffusionModel,
    LogEpsParam,
    MeanRatios,
    ScaledScoreParam,
)
from dmm.scores.product import ProductModel
from dmm.spaces import Euclidean

DATA = torch.randn(64, 2)


@pytest.mark.parametrize(
    "process, model, loss, sampler",
    [
        (VP(2), EpsParam, DenoisingScoreMatching, EulerMaruyama),
        (GBM(2), LogEpsParam, DenoisingScoreMatching, EulerMaruyama),
        (
            SDE(lambda x, t: -x, lambda x, t: 1.0, 2),
            ScaledScoreParam,
            ImplicitScoreMatching,
            EulerMaruyama,
        ),
        (AbsorbingChain(3, 4), MeanRatios, ScoreEntropy, TweedieStep),
        (TorusJump(2), DirectRatio, DenoisingJumpScoreEntropy, JumpTauLeaping),
        (LevyOU.student_t(2, sigma=0.5), JumpDiffusionModel, SumLoss, Splitting),
    ],
    ids=["vp", "gbm", "sde", "absorbing", "torus-jump", "levy-ou"],
)
def test_each_block_gets_its_head_loss_and_sampler(process, model, loss, sampler):
    r = recipe(process, DATA if process.reference is None else None)  # an SDE: its law at T
    assert isinstance(r.model, model) and isinstance(r.loss, loss)
    assert isinstance(r.sampler, sampler)
    r.sampler.check(process)
    if isinstance(r.loss, SumLoss):  # Lévy OU: latent score matching + denoising jump entropy
        kinds = [type(part) for part in r.loss.losses]
        assert kinds == [LatentScoreMatching, DenoisingJumpScoreEntropy]


def test_a_jump_diffusion_without_kernel_gets_implicit_losses_on_one_draw_and_a_splitting():
    p = Process(
        Euclidean(2),
        blocks=(
            Diffusion(drift=lambda x, t: -x, diffusion=lambda x, t: 1.0),
            Jumps(rate=lambda t: 2.0, law=GaussianJumps(2, 0.8)),
        ),
    )
    r = recipe(p, DATA)
    assert [type(part) for part in r.loss.losses] == [ImplicitScoreMatching, ImplicitScoreEntropy]
    assert r.loss.losses[1].divergence == "logistic"  # bounded gradient (the loss's doc)
    assert r.loss.kl_form().losses[1].divergence == "kl"  # the report's path-KL form
    assert r.loss.shared_noise  # both parts read x_t ~ p_t: one draw serves them (MATH.md §5e)
    assert [type(s) for s in r.sampler.samplers] == [EulerMaruyama, JumpTauLeaping]
    # no declared reference: the law at T simulated from the training rows, and said so
    assert isinstance(p.reference, SimulatedReference) and "simulated" in r.notes[0]
    assert torch.isfinite(r.loss(r.model, DATA, torch.Generator().manual_seed(0)))
    # no kernel: importance-sampled times for the whole sum, and a score scaled by the measured
    # spread of the forward simulation (ScaledScoreParam's doc)
    assert r.loss.times == LogUniformMixture()
    assert all(part.times == LogUniformMixture() for part in r.loss.losses)
    head = r.model.score_model
    assert isinstance(head, ScaledScoreParam) and bool((head.log_scales != 0).all())


def test_processes_with_a_kernel_keep_uniform_times():
    for process in (VP(2), GBM(2), TorusJump(2), LevyOU.student_t(2, sigma=0.5)):
        data = (DATA.abs() + 0.1).clamp(max=3.0)  # in every space: positive, inside the torus
        assert recipe(process, data).loss.times == UniformTimes()


def test_off_euclidean_without_kernel_the_losses_are_implicit():
    from dmm.spaces import Torus

    p = Process(
        Torus(1),
        blocks=(
            Diffusion(lambda x, t: torch.zeros_like(x), lambda x, t: 1.0),
            Jumps(2.0, GaussianJumps(1, 0.5)),
        ),
        reference=TorusJump(1).reference,
    )
    r = recipe(p)
    assert [type(part) for part in r.loss.losses] == [ImplicitScoreMatching, ImplicitScoreEntropy]


def test_a_process_without_reference_needs_data():
    p = Process(Euclidean(1), blocks=(Diffusion(lambda x, t: -x, lambda x, t: 1.0),))
    with pytest.raises(ValueError, match="training data"):
        recipe(p)


def test_data_of_another_width_and_a_jump_law_of_another_dimension_are_named():
    """Both failed deep inside the simulation with torch's shape errors."""
    ou = Diffusion(lambda x, t: -x, lambda x, t: 1.0)
    with pytest.raises(ValueError, match=r"shape \(500, 2\).*R\^3 with rows of shape \(3,\)"):
        recipe(Process(Euclidean(3), blocks=(ou,)), torch.randn(500, 2))
    with pytest.raises(ValueError, match="has dimension 3, but R\\^2 has 2"):
        Process(Euclidean(2), blocks=(ou, Jumps(rate=1.0, law=GaussianJumps(3, 0.8))))


def test_products_get_one_network_with_a_head_per_factor():
    p = product(VP(2), AbsorbingChain(S=5, d=1), TorusJump(1))
    r = recipe(p)
    assert isinstance(r.model, ProductModel) and isinstance(r.loss, ProductLoss)
    assert isinstance(r.sampler, ProductSampler)
    assert r.model.widths == [2, 5, 1]  # ε (2), mean logits (5), a potential for the jumps (1)
    assert r.sample_steps == 500 and r.denoise


def test_every_piece_can_be_overridden():
    p = VP(2)
    sampler = EulerMaruyama()
    assert recipe(p, sampler=sampler).sampler is sampler


def test_an_unknown_block_type_is_named():
    class Rotation(Block):
        pass

    p = Process(Euclidean(2), blocks=(Rotation(),), reference=None)
    with pytest.raises(MissingCapability, match="Rotation"):
        recipe(p, DATA)


def test_two_blocks_of_one_type_are_refused_with_a_way_out():
    d = Diffusion(lambda x, t: -x, lambda x, t: 1.0)
    p = Process(Euclidean(2), blocks=(d, d))
    with pytest.raises(MissingCapability, match="two Diffusion blocks"):
        recipe(p, DATA)


def test_a_chain_that_declares_no_kernel_gets_the_implicit_score_entropy():
    from dmm.losses import ImplicitScoreEntropyChain
    from dmm.processes import Categorical, Chain
    from dmm.processes.rate_matrices import uniform_rate_matrix
    from dmm.spaces import Discrete

    p = Process(
        Discrete(3, 4),
        blocks=(Chain(uniform_rate_matrix(4)),),
        reference=Categorical(3, torch.ones(4)),
    )
    r = recipe(p)
    assert isinstance(r.loss, ImplicitScoreEntropyChain) and isinstance(r.model, MeanRatios)
    x0 = torch.randint(0, 4, (32, 3), generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(r.loss(r.model, x0, torch.Generator().manual_seed(1)))


def test_an_sde_without_a_reference_starts_from_its_law_at_T():
    """``SDE`` took ``N(0, I)`` silently; this one (``docs/euclidean.md``'s) is far from it at
    ``T = 1``. The recipe now uses the simulated law of ``X_T`` and says so."""
    from dmm.processes.references import SimulatedReference

    process = SDE(lambda x, t: -x, lambda x, t: (1 + x**2) ** 0.5, 2)
    assert process.reference is None
    r = recipe(process, DATA)
    assert isinstance(process.reference, SimulatedReference)
    assert len(r.notes) == 1 and "declares no reference law" in r.notes[0]


def test_simulating_a_process_without_a_reference_says_what_to_do():
    from dmm.reversal import Reversal
    from dmm.samplers import EulerMaruyama, simulate

    process = SDE(lambda x, t: -x, lambda x, t: 1.0, 2)
    model = recipe(SDE(lambda x, t: -x, lambda x, t: 1.0, 2), DATA).model
    with pytest.raises(ValueError, match="declares no reference law to start from"):
        simulate(Reversal(process, model), EulerMaruyama(), 4, steps=2)


def test_recipe_takes_arrays_and_flat_rotations_and_checks_the_data():
    import numpy as np

    from dmm.processes import SDE, SO3Brownian, TorusBrownian
    from dmm.spaces import SupportError

    x = np.random.default_rng(0).normal(size=(100, 2))
    r = recipe(SDE(lambda y, t: -y, lambda y, t: 1.0, 2), x, hidden=8, depth=1)
    assert r.process.reference.rows.shape == (100, 2)  # an array: AttributeError before
    y = simulate(Reversal(r.process, r.model), r.sampler, 5, steps=2)  # float64 rows: no mix-up
    assert y.shape == (5, 2) and y.dtype == torch.float32
    flat = torch.eye(3).repeat(10, 1, 1).reshape(10, 9)  # a .csv file's rows, as dmm sample writes
    recipe(SO3Brownian(), flat, hidden=8, depth=1)
    with pytest.raises(SupportError, match="outside"):
        recipe(TorusBrownian(2), torch.rand(50, 2) * 20, hidden=8, depth=1)


def test_a_second_recipe_with_other_data_simulates_its_reference_from_them():
    """recipe(p, data) then recipe(p, other) kept the first data's reference, silently."""
    from dmm.processes import SDE

    p = SDE(lambda y, t: -y, lambda y, t: 1.0, 2)
    recipe(p, torch.randn(1000, 2), hidden=8, depth=1)
    second = recipe(p, torch.randn(10, 2), hidden=8, depth=1)
    assert p.reference.rows.shape == (10, 2) and "10 training rows" in second.notes[0]


def test_a_product_factors_scaled_head_is_calibrated_as_the_factor_alone():
    """The ``ScaledScoreParam`` head of a kernel-less factor kept ``σ̂ = 1`` inside a product
    (the recipe calibrated only lone processes) while the recipe reported it as scaled."""
    from dmm.processes import Chain, ChainProcess, Diffusion, Normal, Process, product
    from dmm.processes.schedules import LinearSchedule
    from dmm.scores.models import ScaledScoreParam
    from dmm.spaces import Euclidean

    def langevin():
        still = Diffusion(lambda x, t: -x, lambda x, t: 2**0.5)
        return Process(Euclidean(2), (still,), reference=Normal((2,)), T=5.0, name="Langevin")

    g = torch.Generator().manual_seed(0)
    data = torch.cat(
        [
            torch.randn(500, 2, generator=g) * 0.1 + 3,
            torch.randint(0, 4, (500, 1), generator=g).float(),
        ],
        1,
    )

    def scales(built):
        (head,) = [m for m in built.model.modules() if isinstance(m, ScaledScoreParam)]
        return head.log_scales

    alone = scales(recipe(langevin(), data[:, :2], hidden=16, depth=1))
    chain = ChainProcess(
        Chain(torch.ones(4, 4) - 4 * torch.eye(4), LinearSchedule(0.1, 5.0)), d=1, T=5.0
    )
    joint = scales(recipe(product(langevin(), chain), data, hidden=16, depth=1))
    assert float(alone.abs().max()) > 1.0  # calibrated: far from σ̂ = 1
    torch.testing.assert_close(joint, alone)
