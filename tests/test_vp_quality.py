"""A trained VP model on a 2-D Gaussian mixture reaches 2x the energy-distance noise floor.

Budget: 3000 Adam steps of batch 256 (default VP spec: ε-weighted DSM, MLP 256x3, EMA 0.999), then
Euler–Maruyama with 500 steps and the final Tweedie denoising step; about 1 minute on one CPU core.
"""

import pytest
import torch

from dmm.metrics import energy_distance
from dmm.registry import get_process
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate
from dmm.testing import standard_mixture
from dmm.training import TrainConfig, train


@pytest.mark.slow
def test_trained_vp_within_twice_the_noise_floor():
    # floor = V-statistic energy distance between independent data samples of n = 4000, averaged
    # over 4 draws; the model must be within 2x of it (issue 2's target)
    g = torch.Generator().manual_seed(0)
    mix = standard_mixture()
    data = mix.sample(20000, g)
    spec = get_process("vp")
    params = spec.with_params({})
    process = spec.build(data, params)
    torch.manual_seed(0)
    model = spec.model(process, params, 0)
    result = train(model, spec.loss(process, params), data, TrainConfig(steps=3000, batch_size=256))
    samples = simulate(Reversal(process, result.ema), EulerMaruyama(), 4000, 500, g, denoise=True)
    test = mix.sample(4000, g)
    floor = sum(energy_distance(mix.sample(4000, g), test, unbiased=False) for _ in range(4)) / 4
    value = energy_distance(samples, test, unbiased=False)
    print(f"energy {value:.5f} floor {floor:.5f} ratio {value / floor:.2f}")
    assert value < 2 * floor
