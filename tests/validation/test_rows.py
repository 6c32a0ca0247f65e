"""validate_candles as a whole: clean typed candles, the report and the limit."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from criptos.contracts.errors import InputError
from criptos.contracts.raw_file import RawFileError, read_raw_candles
from criptos.pipelines.feature_engineering.nodes import validate_raw_candles
from criptos.validation import RULES, QuarantineLimitExceeded, validate_candles
from tests.raw_files import GOOD_ROWS, HEADER
from tests.validation.raw_rows import BAD_ROWS
from tests.validation.raw_rows import raw as _raw
from tests.validation.raw_rows import validate as _validate


def test_every_rule_is_reported_even_at_zero():
    result = _validate(*GOOD_ROWS)
    assert set(result.report["quarantined_by_rule"]) == set(RULES)
    assert result.report["rows_quarantined"] == 0
    assert len(result.quarantine) == 0


def test_zero_volume_is_valid():
    result = _validate(*GOOD_ROWS)
    candles = result.candles
    zero = candles[
        (candles["ativo"] == "BTC") & (candles["data"] == pd.Timestamp("2021-01-03"))
    ]
    assert zero["volumeto"].tolist() == [0.0]
    assert zero["volumefrom"].tolist() == [0.0]


def test_clean_candles_are_typed_and_sorted():
    result = _validate(*reversed(GOOD_ROWS))
    candles = result.candles
    assert candles["data"].dtype == "datetime64[ns]"
    assert candles["fechamento"].dtype == np.float64
    assert candles[["ativo", "data"]].equals(
        candles[["ativo", "data"]].sort_values(["ativo", "data"]).reset_index(drop=True)
    )


def test_share_above_the_limit_fails_and_names_the_rules():
    with pytest.raises(
        QuarantineLimitExceeded, match=r"preco_nao_positivo=1.*"
    ) as error:
        _validate(*GOOD_ROWS, BAD_ROWS["preco_nao_positivo"], limit=0.1)
    assert "max_quarantine_share" in str(error.value)


def test_share_at_the_limit_passes():
    rows = [*GOOD_ROWS, BAD_ROWS["data_invalida"]]
    result = _validate(*rows, limit=1 / len(rows))
    assert result.report["rows_quarantined"] == 1


@pytest.mark.parametrize("ending", ["", "\n", "\r\n\r\n"])
def test_header_without_rows_is_empty(ending: str):
    with pytest.raises(RawFileError, match="empty"):
        raw = read_raw_candles(io.BytesIO((HEADER + ending).encode()))
        validate_candles(raw, max_quarantine_share=0.05)


@pytest.mark.parametrize("limit", [-0.1, 1.5])
def test_limit_outside_zero_one_is_refused(limit: float):
    with pytest.raises(ValueError, match="max_quarantine_share"):
        _validate(*GOOD_ROWS, limit=limit)


def test_date_gaps_are_reported_as_warnings():
    rows = [*GOOD_ROWS, "BTC|2021-01-07|1609977600|109|101|108|102|1|100"]
    gaps = _validate(*rows).report["warnings"]["date_gaps"]
    assert gaps == {
        "BTC": {
            "gaps": 1,
            "missing_days": 3,
            "largest": [{"resumes_on": "2021-01-07", "missing_days": 3}],
        }
    }


def test_real_data_is_clean(real_raw_frame: pd.DataFrame):
    result = validate_candles(real_raw_frame, max_quarantine_share=0.05)
    assert result.report["rows_read"] == 17_061
    assert result.report["assets"] == 7
    assert result.report["rows_quarantined"] == 0
    assert result.report["date_range"] == {"start": "2013-04-29", "end": "2021-07-06"}


def test_numbers_parsed_while_reading_validate_like_text(real_raw_csv, tmp_path):
    """The fast read (numbers parsed by Arrow's reader) and the text read give the
    same clean candles, bit for bit."""
    with_text = tmp_path / "raw.csv"
    with_text.write_bytes(
        real_raw_csv.read_bytes() + b"XRP|2030-01-01|1|2|1|abc|1.6|1|1\n"
    )
    parsed = read_raw_candles(real_raw_csv)
    text = read_raw_candles(with_text)
    assert parsed["fechamento"].dtype == np.float64
    assert text["fechamento"].dtype != np.float64
    from_parsed = validate_candles(parsed, max_quarantine_share=0.05)
    from_text = validate_candles(text, max_quarantine_share=0.05)
    pd.testing.assert_frame_equal(
        from_parsed.candles, from_text.candles, check_exact=True
    )
    assert from_text.report["rows_quarantined"] == 1
    assert {**from_text.report, "rows_read": 0, "rows_quarantined": 0,
            "quarantine_share": 0, "quarantined_by_rule": {}} == {
        **from_parsed.report, "rows_read": 0, "rows_quarantined": 0,
        "quarantine_share": 0, "quarantined_by_rule": {}}  # fmt: skip


def test_the_node_bounds_dates_by_the_run_date_and_min_date():
    rows = [
        "XRP|2020-12-31|1609372800|2|1|1.5|1.6|1|1",  # before min_date
        "XRP|2021-01-03|1609632000|2|1|1.5|1.6|1|1",  # run date + 1 day: kept
        "XRP|2021-01-04|1609718400|2|1|1.5|1.6|1|1",  # run date + 2 days
    ]
    candles, quarantine, report = validate_raw_candles(
        _raw(*GOOD_ROWS, *rows),
        {"max_quarantine_share": 1.0, "min_date": "2021-01-01"},
        "20210102",
    )
    assert quarantine["data"].tolist() == ["2020-12-31", "2021-01-04"]
    assert set(quarantine["motivo"]) == {"data_fora_do_intervalo"}
    assert pd.Timestamp("2021-01-03") in set(candles["data"])
    assert report["accepted"] == {
        "min_date": "2021-01-01",
        "max_date": "2021-01-03",
        "max_abs_value": 1e12,
        "max_abs_volume": 1e18,
        "accept_unterminated_last_line": False,
    }


@pytest.mark.parametrize(
    ("validation", "run_date", "message"),
    [
        (
            {"min_date": "2021-13-01"},
            None,
            r"validation\.min_date = .*: must be a date",
        ),
        ({"min_date": "2030-01-01"}, "20210101", "after the last accepted day"),
        ({"max_abs_value": -1}, None, r"validation\.max_abs_value = -1: .*greater"),
        ({"max_abs_value": "lots"}, None, r"validation\.max_abs_value = 'lots': "),
        ({"max_abs_volume": 0}, None, r"validation\.max_abs_volume = 0: .*greater"),
        (
            {"accept_unterminated_last_line": "yes"},
            None,
            r"validation\.accept_unterminated_last_line = 'yes': .*boolean",
        ),
        ({}, "2021-01-01", "run_date must be"),
    ],
)
def test_unusable_validation_parameters_are_input_errors(validation, run_date, message):
    with pytest.raises(InputError, match=message):
        validate_raw_candles(
            _raw(*GOOD_ROWS), {"max_quarantine_share": 1.0, **validation}, run_date
        )
