"""cover_pattern: what the models read from the caller's matrix (costs with a limit, or 0/1 coverage)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan._errors import InputError
from geoplan.siting.solver import cover_pattern


def test_dense_costs_within_the_limit_cover_and_inf_nan_do_not() -> None:
    costs = np.array([[100.0, np.inf, 0.0], [np.nan, 600.0, 450.0]])
    cover, kept = cover_pattern(costs, 500.0)
    assert cover.toarray().tolist() == [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]  # a cost of 0 covers (site in place)
    assert kept is not None and kept.toarray().tolist() == [[100.0, 0.0, 0.0], [0.0, 0.0, 450.0]]
    assert kept.nnz == 3  # the 0 m cost is stored, so it still covers


def test_sparse_unstored_is_out_of_reach_and_01_coverage_needs_no_limit() -> None:
    ones = sp.csr_array(np.array([[0, 1], [1, 0], [0, 0]]))
    cover, kept = cover_pattern(ones)
    assert kept is None and cover.toarray().tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]
    costs = sp.csr_array((np.array([0.0, 900.0]), (np.array([0, 1]), np.array([0, 1]))), shape=(2, 2))
    assert cover_pattern(costs, np.inf)[0].toarray().tolist() == [[1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize(("matrix", "limit", "match"), [
    (sp.csr_array((np.array([np.nan]), (np.array([0]), np.array([0]))), shape=(1, 1)), 1.0, "holds NaN"),
    (np.array([[1.0]]), -1.0, "limit must be a non-negative cost"),
    (np.array([[-3.0, 1.0]]), 5.0, "smallest stored cost is -3"),
])
def test_bad_matrices_are_one_line_errors(matrix: object, limit: float, match: str) -> None:
    with pytest.raises(InputError, match=match):
        cover_pattern(matrix, limit)  # type: ignore[arg-type]
