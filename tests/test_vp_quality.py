"""A trained VP model on a 2-D Gaussian mixture reaches 2x the energy-distance noise floor.

Budget: 4000 Adam steps of batch 512 (default VP spec: ε-weighted DSM, MLP 256x3, EMA 0.999), then
Euler–Maruyama with 500 steps and the final Tweedie denoising step; a few minutes on one CPU core.

"""

import pytest
import torch

from dmm.cli.catalog import build
from dmm.metrics import energy_distance
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate
from dmm.testing import standard_mixture
from dmm.training import TrainConfig, train


@pytest.mark.slow
def test_trained_vp_within_twice_the_noise_floor():
    # One V-statistic energy distance at n = 4000 fluctuates by a factor ~5 between draws (mostly the
    # multinomial counts of the three modes), for the model and for the floor alike. So both are
    # averaged over 4 independent draws: model = mean ED(samples_k, test_k), floor = mean
    # ED(data_k, test_k). The model must be within 2x of the floor (issue 2's target).
    g = torch.Generator().manual_seed(0)
    mix = standard_mixture()
    data = mix.sample(20000, g)
    torch.manual_seed(0)
    built = build("vp", data)
    process = built.process
    result = train(built.model, built.loss, built.data, TrainConfig(steps=4000, batch_size=512))
    rev = Reversal(process, result.ema)
    value = floor = 0.0
    for _ in range(4):
        samples = built.decode(simulate(rev, EulerMaruyama(), 4000, 500, g, denoise=True))
        test = mix.sample(4000, g)
        value += energy_distance(samples, test, unbiased=False) / 4
        floor += energy_distance(mix.sample(4000, g), test, unbiased=False) / 4
    print(f"energy {value:.5f} floor {floor:.5f} ratio {value / floor:.2f}")
    assert value < 2 * floor
