"""A table model trained with random observed subsets as context fills cells from the conditional
law of the given ones: on a table where a category decides the sign of a number, imputing either
column from the other is right for (nearly) every row."""

import numpy as np
import pandas as pd
import pytest
import torch

from dmm.tabular import TabularModel


def _signs(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    side = rng.choice(["neg", "pos"], n)
    return pd.DataFrame(
        {"side": side, "x": np.where(side == "pos", 3.0, -3.0) + rng.normal(0, 0.3, n)}
    )


@pytest.mark.parametrize("score_observed", [True, False])
def test_imputation_reads_the_given_cells(score_observed):
    # 800 steps of a 64 × 2 MLP (about 10 s on one core). The two classes are 20 standard
    # deviations apart, so the exact conditional law gives the right side with probability
    # 1 - 1e-23; we ask for 95 of 100 rows each way, which a model that ignored the given cells
    # (a fair coin, 50 expected) fails with probability below 1e-18. Measured: 98 and 100; the
    # replacement method alone (observed_context=False, same budget) gets the side of 68 rows:
    # the absorbing chain unmasks the category while the given number is still noised. The same
    # with the loss scoring only the cells the context does not show (score_observed=False).
    torch.set_num_threads(1)
    model = TabularModel(
        steps=800,
        batch_size=128,
        hidden=64,
        depth=2,
        sample_steps=50,
        observed_context=True,
        score_observed=score_observed,
    ).fit(_signs(600, 0))
    assert TabularModel.load(model.run_dir_).score_observed is score_observed
    test = _signs(100, 1)
    hide_side, hide_x = test.copy(), test.copy()
    hide_side["side"] = None
    hide_x["x"] = np.nan
    side = model.impute(hide_side, seed=2)["side"]
    x = model.impute(hide_x, seed=3)["x"].astype(float)
    assert (side == test["side"]).sum() >= 95
    assert ((x > 0) == (test["side"] == "pos")).sum() >= 95
