"""The backtest reads its judged rows with `rows_at`: a slice when they are one run of positions (the
newest cutoffs of a set sorted by cutoff), a gather otherwise, and always the rows asked for."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from propensity.training._training_set import rows_at

FRAME = pl.DataFrame({"contact_id": [f"c{i}" for i in range(10)], "x": np.arange(10, dtype=np.float32), "label": [0, 1] * 5})


@pytest.mark.parametrize(
    "positions", [np.arange(4, 10), np.array([1, 3, 4]), np.array([7]), np.array([], dtype=np.int64), np.array([5, 6, 8, 9])]
)
def test_rows_at_gives_the_rows_at_the_positions_with_the_columns_asked_for(positions: np.ndarray) -> None:
    assert rows_at(FRAME, positions).equals(FRAME[positions])
    assert rows_at(FRAME, positions, ["x", "contact_id"]).equals(FRAME[positions].select("x", "contact_id"))


def test_one_run_of_positions_is_read_as_a_slice_of_the_same_buffers() -> None:
    run = rows_at(FRAME, np.arange(4, 10), ["x"])
    assert run["x"].to_list() == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    # a slice shares the column's memory: no copy of a million judged rows; a gather copies
    assert np.shares_memory(run["x"].to_numpy(), FRAME["x"].to_numpy())
    assert not np.shares_memory(rows_at(FRAME, np.array([4, 6]), ["x"])["x"].to_numpy(), FRAME["x"].to_numpy())
