"""``TabularModel``: where its runs go, and what it refuses in one clear message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from dmm.tabular import TabularModel

TINY = {"steps": 5, "hidden": 16, "depth": 1, "sample_steps": 4, "batch_size": 32}


def _frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["p", "q"], n)})


def test_fit_refuses_a_run_dir_that_holds_another_run(tmp_path):
    """A second model fitted into the same ``run_dir`` overwrote the first's run, and the first
    model's ``save`` then saved the second. A model may refit into its own folder."""
    torch.set_num_threads(1)
    first = TabularModel(**TINY, run_dir=tmp_path / "shared").fit(_frame())
    with pytest.raises(FileExistsError, match="exists and is not empty"):
        TabularModel(**TINY, run_dir=tmp_path / "shared").fit(_frame(seed=1))
    first.fit(_frame(seed=2))  # its own folder
    saved = TabularModel.load(first.save(tmp_path / "saved"))
    assert list(saved.sample(2).columns) == ["a", "b"]
