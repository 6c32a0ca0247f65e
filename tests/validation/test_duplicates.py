"""Rows of one (ativo, data): exact duplicates collapse, disagreeing rows conflict."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.raw_files import GOOD_ROWS
from tests.validation.raw_rows import validate as _validate


def test_exact_duplicates_collapse_to_one_row():
    result = _validate(*GOOD_ROWS, GOOD_ROWS[0], GOOD_ROWS[0])
    assert len(result.candles) == len(GOOD_ROWS)
    assert result.report["exact_duplicates_removed"] == 2
    assert result.report["rows_quarantined"] == 0


def test_conflicting_rows_for_one_asset_and_date_are_all_quarantined():
    conflicting = GOOD_ROWS[0].replace("|105|", "|106|")
    result = _validate(*GOOD_ROWS, conflicting)
    assert result.quarantine["motivo"].tolist() == ["conflito_ativo_data"] * 2
    kept = result.candles[result.candles["ativo"] == "BTC"]["data"]
    assert pd.Timestamp("2021-01-01") not in set(kept)


@pytest.mark.parametrize(
    "not_a_number", [(), ("XRP|2021-02-01|1612137600|2|1|abc|1.6|1|1",)]
)
def test_numbers_equal_in_value_make_exact_duplicates(not_a_number):
    """Whether the reader parsed the numbers (every cell is one) or kept text."""
    same_value = GOOD_ROWS[0].replace("|105|", "|105.00|")
    result = _validate(*GOOD_ROWS, same_value, *not_a_number)
    assert result.report["exact_duplicates_removed"] == 1
    assert result.report["quarantined_by_rule"]["conflito_ativo_data"] == 0
    assert len(result.candles) == len(GOOD_ROWS)


# --- assets normalised before duplicates and conflicts --------------------------------


def test_assets_differing_in_case_and_spaces_are_exact_duplicates():
    same = ["btc|2021-01-01|1609459200|110|95|100|105|10|1050",
            " Btc |2021-01-01|1609459200|110|95|100|105.0|10|1050"]  # fmt: skip
    result = _validate(*GOOD_ROWS, *same)
    assert result.report["exact_duplicates_removed"] == 2
    assert result.report["rows_quarantined"] == 0
    btc = result.candles[result.candles["ativo"] == "BTC"]
    assert btc["data"].tolist() == [pd.Timestamp(f"2021-01-0{d}") for d in (1, 2, 3)]
    assert set(result.candles["ativo"]) == {"BTC", "ETH"}


def test_assets_differing_in_case_with_other_values_conflict():
    result = _validate(*GOOD_ROWS, "btc|2021-01-01|1609459200|110|95|100|106|10|1050")
    assert result.quarantine["motivo"].tolist() == ["conflito_ativo_data"] * 2
    assert result.quarantine["ativo"].tolist() == ["BTC", "btc"]


def test_a_date_written_with_a_midnight_time_is_an_exact_duplicate_of_the_day():
    result = _validate(
        *GOOD_ROWS, GOOD_ROWS[0].replace("2021-01-01", "2021-01-01T00:00:00Z")
    )
    assert result.report["exact_duplicates_removed"] == 1
    assert result.report["rows_quarantined"] == 0
