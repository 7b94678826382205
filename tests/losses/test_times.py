"""Time laws of the losses: importance weights keep every loss the same time integral."""

import math

import pytest
import torch

from dmm.losses import Loss, SumLoss
from dmm.losses.times import LogUniformMixture, StraightPathTimes, UniformTimes, straight_time
from dmm.processes import GBM, VP

PROCESS = VP(1)  # t in [1e-3, 1]
LO, HI = PROCESS.t_min, PROCESS.T
N = 200_000


def f(t):
    """An integrand that grows like 1/t at small t, as a score-matching term below the data's
    scale; ``∫ f = log((HI + c)/(LO + c))``."""
    return 1.0 / (t + 0.01)


EXACT = math.log((HI + 0.01) / (LO + 0.01)) / (HI - LO)


def _draw(law):
    t, w = law.draw(PROCESS, N, torch.Generator().manual_seed(0))
    return t.double(), (torch.ones_like(t) if w is None else w).double()


@pytest.mark.parametrize(
    "law", [UniformTimes(), LogUniformMixture(), LogUniformMixture(0.9), StraightPathTimes()]
)
def test_weighted_draws_estimate_the_time_average(law):
    t, w = _draw(law)
    assert float(t.min()) >= LO and float(t.max()) <= HI
    est = w * f(t)
    # a 4-standard-error band: fails with probability ~6e-5 under a correct law
    assert abs(float(est.mean()) - EXACT) < 4 * float(est.std()) / math.sqrt(N)
    assert abs(float(w.mean()) - 1) < 4 * float(w.std()) / math.sqrt(N) + 1e-12


def test_the_mixture_density_integrates_to_one():
    law = LogUniformMixture()
    u = torch.linspace(0, 1, 200_001, dtype=torch.float64)
    t = LO * (HI / LO) ** u  # ∫ q dt = ∫ q(t) t log(HI/LO) du
    total = torch.trapezoid(law.density(PROCESS, t) * t * math.log(HI / LO), u)
    assert abs(float(total) - 1) < 1e-6


GBM_1D = GBM.from_data(torch.exp(torch.randn(500, 1, generator=torch.Generator().manual_seed(0))))


@pytest.mark.parametrize("process", [PROCESS, GBM_1D], ids=["vp", "gbm"])
def test_the_straight_path_density_integrates_to_one_and_draws_u_uniformly(process):
    law, lo, hi = StraightPathTimes(), process.t_min, process.T
    t = torch.linspace(lo, hi, 400_001, dtype=torch.float64)
    # 1e-5: gbm keeps its parameters in float32
    assert abs(float(torch.trapezoid(law.density(process, t), t)) - 1) < 1e-5
    # u_t of the draws is uniform on [u(t_min), u(T)]: every decile within 4 standard errors
    t_draw, _ = law.draw(process, N, torch.Generator().manual_seed(1))
    ends = straight_time(process, torch.tensor([lo, hi], dtype=torch.float64))
    u = (straight_time(process, t_draw.double()) - ends[0]) / (ends[1] - ends[0])
    counts = torch.histc(u, bins=10, min=0.0, max=1.0) / N
    assert float((counts - 0.1).abs().max()) < 4 * math.sqrt(0.1 * 0.9 / N)


def test_the_straight_path_density_is_du_dt():
    # VP: du/dt = u (1 - u) β_t / (2 s_t²) in closed form; the draws' piecewise-constant density
    # on 1024 intervals is within O(Δt) of it away from t_min, where du/dt ~ 1/√t (measured: 0.6%
    # at most for t > 0.01, bound 2%; 13% on the first interval, whose mass is still exact)
    t = torch.linspace(LO, HI, 5001, dtype=torch.float64)
    u, s = straight_time(PROCESS, t), PROCESS.std(t)
    ends = straight_time(PROCESS, torch.tensor([LO, HI], dtype=torch.float64))
    exact = u * (1 - u) * PROCESS.diffusion_sq(t) / (2 * s**2) / (ends[1] - ends[0])
    drawn = StraightPathTimes().density(PROCESS, t)
    assert float(((drawn - exact) / exact).abs()[t > 0.01].max()) < 0.02


def test_the_mixture_cuts_the_variance_of_a_one_over_t_integrand():
    t_u, w_u = _draw(UniformTimes())
    t_m, w_m = _draw(LogUniformMixture())
    assert float((w_m * f(t_m)).var()) < 0.2 * float((w_u * f(t_u)).var())


class _Clock(Loss):
    """A loss whose term is ``f(t)``: its mean is the time integral the law must preserve."""

    def noise(self, x0, t, generator):
        return None

    def term(self, model, x0, noised, t, generator, context=None):
        return f(t.double())


def test_a_loss_drawing_from_another_law_keeps_its_mean():
    x0 = torch.zeros(N, 1)
    for loss in (_Clock(PROCESS), _Clock(PROCESS).with_times(LogUniformMixture())):
        per = loss.per_sample(None, x0, torch.Generator().manual_seed(1))
        assert abs(float(per.mean()) - EXACT) < 4 * float(per.std()) / math.sqrt(N)


def test_with_times_copies_and_reaches_the_parts_of_a_sum():
    a, b = _Clock(PROCESS), _Clock(PROCESS)
    total = SumLoss(a, b).with_times(LogUniformMixture())
    assert a.times == UniformTimes()  # the original is unchanged
    assert [part.times for part in total.losses] == [LogUniformMixture()] * 2


def test_a_share_outside_the_open_interval_is_refused():
    for share in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="log_share"):
            LogUniformMixture(share)
