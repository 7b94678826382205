"""What check_process must catch and how it reports: a kernel of another process (Dynkin's formula
at an early time), test functions that vary over discrete and torus data, and inputs of the wrong
shape (x0 refused up front; a reference of the wrong shape reported as a failed check)."""

from __future__ import annotations

import math
import re

import pytest
import torch

from dmm.processes import Diffusion, Normal, Process
from dmm.processes.chains import UniformChain
from dmm.processes.manifold_brownian import TorusBrownian
from dmm.spaces import Euclidean
from dmm.testing import check_dynkin, check_process
from dmm.testing.checks import default_test_functions

X0 = torch.tensor([[0.5, -1.0], [2.0, 1.0]])


class _OUWithKernel(Process):
    """The OU block ``dX = -X dt + √2 dW`` on R^2 with the Gaussian kernel of the OU of rate
    ``theta``: the right kernel for ``theta = 1``, another process's for ``theta = 3`` (same
    stationary law N(0, I))."""

    has_exact_transition = True

    def __init__(self, theta: float, T: float = 5.0) -> None:
        self.theta = theta
        block = Diffusion(lambda x, t: -x, lambda x, t: math.sqrt(2.0), state_dependent=False)
        super().__init__(Euclidean(2), (block,), reference=Normal((2,)), T=T, name="OU kernel")

    def _mean_var(self, x0, t):
        decay = torch.exp(-self.theta * t).reshape(-1, 1)
        return decay * x0, 1 - decay**2

    def sample_transition(self, x0, t, generator):
        mean, var = self._mean_var(x0, t)
        return mean + var.sqrt() * torch.randn(x0.shape, generator=generator, dtype=x0.dtype)

    def conditional_score(self, xt, x0, t):
        mean, var = self._mean_var(x0, t)
        return -(xt - mean) / var


def test_a_kernel_of_another_process_fails_dynkin_even_when_T_reaches_the_reference() -> None:
    # measured (n = 20000, T = 5): at t = 0.251 the errors are 3–8× their tolerances for the θ = 3
    # kernel; at t = 1.5 both laws are near N(0, I) and every function passes. The reference check
    # tests the kernel, which reaches N(0, I) too, so it passes: Dynkin is what ties kernel to blocks.
    results = check_process(_OUWithKernel(3.0), X0, raise_on_failure=False)
    failed = [r for r in results if r.applicable and not r.passed]
    assert failed and all(r.name.startswith("Dynkin's formula") for r in failed)
    assert len(failed) == 3 and all("t=0.251" in r.name for r in failed)
    with pytest.raises(AssertionError, match="Dynkin"):
        check_process(_OUWithKernel(3.0), X0)
    # the right kernel passes every check, each applicable, at both Dynkin times
    right = check_process(_OUWithKernel(1.0), X0)
    assert all(r.applicable for r in right)
    assert {r.name for r in right if r.name.startswith("Dynkin")} == {
        f"Dynkin's formula (f{k}, t={t})" for k in range(3) for t in ("0.251", "1.5")
    }


@pytest.mark.parametrize(
    "make, x0",
    [
        (lambda: UniformChain(2, 3), torch.tensor([[0, 1], [2, 0]])),  # one-hot features
        (lambda: TorusBrownian(2), torch.tensor([[0.5, -2.0], [3.0, 1.0]])),  # (cos, sin) pairs
    ],
    ids=["chain", "torus"],
)
def test_every_reported_dynkin_check_uses_a_function_that_varies_over_the_data(make, x0) -> None:
    # features of constant norm made exp(-|features|²/2n) constant: Dynkin reported [ok] on 0 = 0.
    # Each applicable Dynkin check must now use a function whose spread over p_t is not negligible
    # against its size; one that is constant there is reported n/a.
    process = make()
    results = check_process(process, x0, n=4000)
    dynkin = [r for r in results if r.name.startswith("Dynkin")]
    fs = default_test_functions(process)
    g = torch.Generator().manual_seed(0)
    for r in dynkin:
        if not r.applicable:
            assert "constant" in r.detail
            continue
        k, t = re.match(r"Dynkin's formula \(f(\d), t=([0-9.e-]+)\)", r.name).groups()
        rows = x0.repeat(2000, *[1] * (x0.ndim - 1))
        fx = fs[int(k)](process.sample_marginal(rows, torch.tensor(float(t)), g))
        assert fx.std() > 0.01 * fx.abs().mean(), r.name
    assert len(dynkin) == 6  # three functions, two times each


def test_dynkin_says_n_a_for_a_function_constant_on_the_data() -> None:
    process = UniformChain(2, 3)

    def norm(x):
        return process.space.features(x).pow(2).sum(1)  # 2 for every one-hot state

    r = check_dynkin(process, torch.tensor([[0, 1]]).repeat(500, 1), 0.3, h=0.02, f=norm)
    assert not r.applicable and "constant" in r.detail


def _langevin() -> Process:
    block = Diffusion(lambda x, t: -x, lambda x, t: math.sqrt(2.0))
    return Process(Euclidean(2), (block,), reference=Normal((2,)), T=5.0, name="Langevin")


def test_x0_of_the_wrong_shape_is_refused_naming_the_expected_shape() -> None:
    with pytest.raises(ValueError, match=r"x0.*shape \(4, 3\), expected \(n, 2\)"):
        check_process(_langevin(), torch.randn(4, 3), n=500, raise_on_failure=False)


def test_a_reference_of_the_wrong_shape_is_a_failed_check_naming_it() -> None:
    process = _langevin()
    process.reference = Normal((3,))  # after construction: Process may refuse it there
    results = check_process(process, X0, n=500, raise_on_failure=False)
    ref = next(r for r in results if r.name == "forward process reaches its reference at T")
    assert ref.applicable and not ref.passed
    assert "Normal" in ref.detail and "(3,)" in ref.detail and "(2,)" in ref.detail
    with pytest.raises(AssertionError, match="reference"):
        check_process(process, X0, n=500)


def test_a_check_has_one_name_whether_it_applies_or_not() -> None:
    """The reversal check was "backward process reproduces p_t (t=...)" where it applies and
    "backward process reproduces marginals" where it does not, so selecting it by name missed one
    of the two."""
    langevin = Process(Euclidean(2), (Diffusion(lambda x, t: -x, lambda x, t: 1.0),), Normal((2,)))
    for process, x0 in [(_OUWithKernel(1.0), X0), (langevin, X0), (UniformChain(2, 3), [[0, 1]])]:
        results = check_process(process, torch.as_tensor(x0), n=500, raise_on_failure=False)
        names = [re.sub(r" \(.*\)$", "", r.name) for r in results]  # without "(f0, t=...)"
        assert names[-1] == "backward process reproduces p_t", results[-1]
        assert names[3:-1] == [
            name
            for k in range(3)
            for name in ("Dynkin's formula",) * 2 + ("conditional score vs transition sampler",)
        ], names


def test_a_nan_coefficient_is_a_failed_check_not_an_exception() -> None:
    # a user's block whose drift is NaN: every check that runs the process fails and says why
    # (the block's name); raise_on_failure=False must still return the whole list
    bad = Diffusion(lambda x, t: x * float("nan"), lambda x, t: 1.0, state_dependent=False)
    process = Process(Euclidean(2), (bad,), reference=Normal((2,)), name="NaN drift")
    results = check_process(process, X0, n=500, raise_on_failure=False)
    names = [re.sub(r" \(.*\)$", "", r.name) for r in results]
    assert names[0] == "simulated marginals stay finite" and len(names) == 4 + 3 * 3
    failed = [r for r in results if r.applicable and not r.passed]
    assert failed[0] is results[0] and "drift of Diffusion" in results[0].detail
    assert "NaN or infinite" in results[0].detail
    with pytest.raises(AssertionError, match="simulated marginals stay finite"):
        check_process(process, X0, n=500)
