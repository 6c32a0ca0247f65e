"""Row-level validation rules, duplicates, conflicts and the quarantine limit."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from criptos.raw_contract import RawFileError, read_raw_candles
from criptos.validation import RULES, QuarantineLimitExceeded, validate_candles
from tests.raw_files import GOOD_ROWS, HEADER


def _raw(*rows: str) -> pd.DataFrame:
    return read_raw_candles(io.BytesIO("\n".join([HEADER, *rows]).encode()))


def _validate(*rows: str, limit: float = 1.0):
    return validate_candles(_raw(*rows), max_quarantine_share=limit)


BAD_ROWS = {
    "linha_malformada": "XRP|2021-01-01|1",
    "ativo_ausente": "|2021-01-01|1609459200|2|1|1.5|1.6|1|1",
    "data_invalida": "XRP|2021-13-45|1609459200|2|1|1.5|1.6|1|1",
    "preco_ausente_ou_nao_numerico": "XRP|2021-01-01|1609459200|2|1|abc|1.6|1|1",
    "preco_nao_positivo": "XRP|2021-01-01|1609459200|2|0|1.5|1.6|1|1",
    "maximo_abaixo_de_abertura_ou_fechamento": "XRP|2021-01-01|1609459200|1.55|1|1.5|1.6|1|1",
    "minimo_acima_de_abertura_ou_fechamento": "XRP|2021-01-01|1609459200|2|1.55|1.5|1.6|1|1",
    "volume_invalido": "XRP|2021-01-01|1609459200|2|1|1.5|1.6|-3|1",
}


@pytest.mark.parametrize("rule", sorted(BAD_ROWS))
def test_each_rule_quarantines_its_row_with_its_reason(rule: str):
    result = _validate(*GOOD_ROWS, BAD_ROWS[rule])
    assert len(result.candles) == len(GOOD_ROWS)
    assert result.quarantine["motivo"].tolist() == [rule]
    assert result.report["quarantined_by_rule"][rule] == 1
    assert sum(result.report["quarantined_by_rule"].values()) == 1
    assert "XRP" not in set(result.candles["ativo"])


def test_missing_price_is_quarantined():
    result = _validate(*GOOD_ROWS, "XRP|2021-01-01|1609459200|2|1||1.6|1|1")
    assert result.quarantine["motivo"].tolist() == ["preco_ausente_ou_nao_numerico"]


def test_every_rule_is_reported_even_at_zero():
    result = _validate(*GOOD_ROWS)
    assert set(result.report["quarantined_by_rule"]) == set(RULES)
    assert result.report["rows_quarantined"] == 0
    assert len(result.quarantine) == 0


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


@pytest.mark.parametrize("day", ["2021-02-30", "2021-1-5", "2021-01-01T00:00", "20210101"])
def test_a_date_that_is_not_a_real_yyyy_mm_dd_day_is_invalid(day: str):
    result = _validate(*GOOD_ROWS, f"XRP|{day}|1609459200|2|1|1.5|1.6|1|1")
    assert result.quarantine["motivo"].tolist() == ["data_invalida"]


def test_dates_padded_with_spaces_are_read():
    result = _validate(*GOOD_ROWS, "XRP| 2021-01-05 |1609459200|2|1|1.5|1.6|1|1")
    assert result.report["rows_quarantined"] == 0
    assert pd.Timestamp("2021-01-05") in set(result.candles["data"])
