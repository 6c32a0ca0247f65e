"""Row-level validation rules, duplicates, conflicts and the quarantine limit."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from criptos.contracts import text_columns
from criptos.contracts.errors import InputError
from criptos.contracts.raw_file import (
    RawFileError,
    read_raw_candles,
    unterminated_last_line,
)
from criptos.pipelines.feature_engineering.nodes import validate_raw_candles
from criptos.validation import RULES, QuarantineLimitExceeded, validate_candles
from tests.raw_files import GOOD_ROWS, HEADER


def _raw(*rows: str) -> pd.DataFrame:
    return read_raw_candles(io.BytesIO(("\n".join([HEADER, *rows]) + "\n").encode()))


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
    "data_fora_do_intervalo": "XRP|2201-07-06|7279660800|2|1|1.5|1.6|1|1",
    "timestamp_divergente": "XRP|2021-01-01|1609545600|2|1|1.5|1.6|1|1",
    "valor_fora_do_intervalo": "XRP|2021-01-01|1609459200|1e308|1|1.5|1.6|1|1",
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


@pytest.mark.parametrize(
    "day", ["2021-02-30", "2021-1-5", "2021-01-01T00:00", "20210101"]
)
def test_a_date_that_is_not_a_real_yyyy_mm_dd_day_is_invalid(day: str):
    result = _validate(*GOOD_ROWS, f"XRP|{day}|1609459200|2|1|1.5|1.6|1|1")
    assert result.quarantine["motivo"].tolist() == ["data_invalida"]


def test_dates_padded_with_spaces_are_read():
    result = _validate(*GOOD_ROWS, "XRP| 2021-01-05 |1609804800|2|1|1.5|1.6|1|1")
    assert result.report["rows_quarantined"] == 0
    assert pd.Timestamp("2021-01-05") in set(result.candles["data"])


def test_rules_are_checked_in_this_order():
    assert RULES == (
        "linha_incompleta",
        "linha_malformada",
        "ativo_ausente",
        "data_invalida",
        "data_fora_do_intervalo",
        "timestamp_divergente",
        "preco_ausente_ou_nao_numerico",
        "valor_fora_do_intervalo",
        "preco_nao_positivo",
        "maximo_abaixo_de_abertura_ou_fechamento",
        "minimo_acima_de_abertura_ou_fechamento",
        "volume_invalido",
        "conflito_ativo_data",
    )


# --- dates: real days in a sane range ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1500-07-06", "1500-07-06"),
        ("2500-07-06", "2500-07-06"),
        ("0001-01-01", "0001-01-01"),
    ],
)
def test_dates_are_parsed_as_days_without_wrap_around(text: str, day: str):
    """datetime64[ns] spans 1677-2262 only: 1500 and 2500 used to wrap to 2085 and 1915."""
    for cells in ([text], [text, " 2021-01-01 "]):  # Arrow's cast, then the fallback
        days = text_columns.parse_dates(pa.chunked_array([pa.array(cells)]))
        assert days.dtype == np.dtype("datetime64[D]")
        assert days[0] == np.datetime64(day)


@pytest.mark.parametrize(
    "day", ["1500-07-06", "2500-07-06", "2201-07-06", "2009-01-02", "2021-01-11"]
)
def test_a_day_outside_the_accepted_range_is_quarantined(day: str):
    row = f"XRP|{day}||2|1|1.5|1.6|1|1"
    result = validate_candles(
        _raw(*GOOD_ROWS, row), max_quarantine_share=1.0, max_date="2021-01-10"
    )
    assert result.quarantine["motivo"].tolist() == ["data_fora_do_intervalo"]
    assert result.quarantine["data"].tolist() == [day]
    assert result.report["accepted"]["min_date"] == "2009-01-03"
    assert result.report["accepted"]["max_date"] == "2021-01-10"


def test_the_range_bounds_themselves_are_accepted():
    rows = ["XRP|2009-01-03||2|1|1.5|1.6|1|1", "XRP|2021-01-10||2|1|1.5|1.6|1|1"]
    result = validate_candles(
        _raw(*GOOD_ROWS, *rows), max_quarantine_share=0.0, max_date="2021-01-10"
    )
    xrp = result.candles[result.candles["ativo"] == "XRP"]["data"]
    assert xrp.dt.strftime("%Y-%m-%d").tolist() == ["2009-01-03", "2021-01-10"]


def test_the_default_upper_bound_is_tomorrow():
    today = datetime.now(UTC).date()
    days = [today + timedelta(days=1), today + timedelta(days=2)]
    rows = [f"XRP|{day:%Y-%m-%d}||2|1|1.5|1.6|1|1" for day in days]
    result = _validate(*GOOD_ROWS, *rows)
    assert result.quarantine["data"].tolist() == [f"{days[1]:%Y-%m-%d}"]
    assert result.quarantine["motivo"].tolist() == ["data_fora_do_intervalo"]


@pytest.mark.parametrize(
    "day", ["2021-01-05 00:00:00", "2021-01-05T00:00:00", "2021-01-05T00:00:00Z"]
)
def test_a_date_with_a_midnight_time_is_that_day(day: str):
    result = _validate(*GOOD_ROWS, f"XRP|{day}|1609804800|2|1|1.5|1.6|1|1")
    assert result.report["rows_quarantined"] == 0
    xrp = result.candles[result.candles["ativo"] == "XRP"]
    assert xrp["data"].tolist() == [pd.Timestamp("2021-01-05")]


@pytest.mark.parametrize(
    "day", ["2021-01-05 00:00:01", "2021-01-05T12:00:00", "2021-01-05T00:00:00+01:00"]
)
def test_a_date_with_another_time_of_day_is_invalid(day: str):
    result = _validate(*GOOD_ROWS, f"XRP|{day}|1609804800|2|1|1.5|1.6|1|1")
    assert result.quarantine["motivo"].tolist() == ["data_invalida"]


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
        ({"min_date": "2021-13-01"}, None, "validation.min_date must be a date"),
        ({"min_date": "2030-01-01"}, "20210101", "after the last accepted day"),
        ({"max_abs_value": -1}, None, "max_abs_value must be a positive finite"),
        ({"max_abs_value": "lots"}, None, "max_abs_value must be a positive finite"),
        ({"max_abs_volume": 0}, None, "max_abs_volume must be a positive finite"),
        ({"accept_unterminated_last_line": "yes"}, None, "must be true or false"),
        ({}, "2021-01-01", "run_date must be"),
    ],
)
def test_unusable_validation_parameters_are_input_errors(validation, run_date, message):
    with pytest.raises(InputError, match=message):
        validate_raw_candles(
            _raw(*GOOD_ROWS), {"max_quarantine_share": 1.0, **validation}, run_date
        )


# --- timestamps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        ("1609459200", None),  # seconds, 00:00 UTC of the day
        ("1609459200000", None),  # milliseconds (CCXT)
        ("", None),  # no timestamp: nothing to compare
        ("1609459201", "timestamp_divergente"),
        ("1609462800000", "timestamp_divergente"),  # 01:00 UTC in ms
        ("1609545600", "timestamp_divergente"),  # the next day
        ("abc", "timestamp_divergente"),
    ],
)
def test_a_timestamp_must_be_midnight_utc_of_the_day(timestamp: str, reason):
    result = _validate(*GOOD_ROWS, f"XRP|2021-01-01|{timestamp}|2|1|1.5|1.6|1|1")
    assert result.quarantine["motivo"].tolist() == ([reason] if reason else [])


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


# --- values ----------------------------------------------------------------------------

_HEADROOM = float(np.sqrt(np.finfo(np.float64).max))


@pytest.mark.parametrize(
    "row",
    [
        "XRP|2021-01-01|1609459200|1e308|1|1.5|1.6|1|1",
        "XRP|2021-01-01|1609459200|2|1|1.5|inf|1|1",  # written infinity
        "XRP|2021-01-01|1609459200|2|1|1.5|1.6|1|1e400",  # overflows float64
        "XRP|2021-01-01|1609459200|2|1|1.5|1.6|-inf|1",
        "XRP|2021-01-01|1609459200|2e12|1|1.5|1.6|1|1",
        "XRP|2021-01-01|1609459200|2|1|1.5|1.6|2e18|1",
        "XRP|2021-01-01|1609459200|2|1|1.5|1.6|1|1000000000000000001000",
        "XRP|2021-01-01|1609459200|2e-200|1e-200|1.5e-200|1.6e-200|1|1",
        "XRP|2021-01-01|1609459200|2|1|1.5|1.6|1e-300|1",
    ],
)
def test_values_out_of_range_are_quarantined(row: str):
    result = _validate(*GOOD_ROWS, row)
    assert result.quarantine["motivo"].tolist() == ["valor_fora_do_intervalo"]
    assert len(result.candles) == len(GOOD_ROWS)


def test_the_value_bound_is_a_parameter_and_its_ratio_floor_follows():
    limit = 1e6
    rows = [
        "XRP|2021-01-01|1609459200|2|1|1.5|1.6|1|1000000",  # at the bound: kept
        "XRP|2021-01-02|1609545600|2|1|1.5|1.6|1|1000001",
        f"XRP|2021-01-03|1609632000|2|1|1.5|1.6|{limit / _HEADROOM * 1.01!r}|1",
        f"XRP|2021-01-04|1609718400|2|1|1.5|1.6|{limit / _HEADROOM * 0.99!r}|1",
    ]
    result = validate_candles(
        _raw(*GOOD_ROWS, *rows),
        max_quarantine_share=1.0,
        max_abs_value=limit,
        max_abs_volume=limit,
    )
    assert result.quarantine["data"].tolist() == ["2021-01-02", "2021-01-04"]


def test_volumes_have_their_own_bound_above_the_price_bound():
    """A token worth a fraction of a cent trades trillions of units a day."""
    rows = [
        "SHIB|2021-05-01|1619827200|2e-5|1e-5|1.5e-5|1.6e-5|4e13|6.4e8",  # kept
        "SHIB|2021-05-02|1619913600|2e-5|1e-5|1.5e-5|1.6e-5|2e18|3.2e13",
        "SHIB|2021-05-03|1620000000|2e12|1e-5|1.5e-5|1.6e-5|4e13|6.4e8",
    ]
    result = validate_candles(_raw(*GOOD_ROWS, *rows), max_quarantine_share=1.0)
    assert result.quarantine["data"].tolist() == ["2021-05-02", "2021-05-03"]
    assert set(result.quarantine["motivo"]) == {"valor_fora_do_intervalo"}
    assert pd.Timestamp("2021-05-01") in set(result.candles["data"])
    assert set(result.quarantine["motivo"]) == {"valor_fora_do_intervalo"}


def test_tiny_positive_prices_stay_valid():
    rows = [
        "DOGE|2021-01-01|1609459200|0.00012|0.0001|0.00011|0.000115|1e9|1.1e5",
        "XEM|2021-01-01|1609459200|2e-8|1e-8|1.5e-8|1.6e-8|5e11|8000",
    ]
    result = _validate(*GOOD_ROWS, *rows)
    assert result.report["rows_quarantined"] == 0
    assert set(result.candles["ativo"]) == {"BTC", "DOGE", "ETH", "XEM"}


def test_a_missing_price_is_still_missing_not_out_of_range():
    result = _validate(*GOOD_ROWS, "XRP|2021-01-01|1609459200|2|1|NaN|1.6|1|1")
    assert result.quarantine["motivo"].tolist() == ["preco_ausente_ou_nao_numerico"]


# --- an unterminated last line ------------------------------------------------------

CUT_SHORT = "XRP|2021-01-01|1609459200|2|1|1.5|1.6|1|10"  # "...|1|1000" cut short


def _unterminated(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


@pytest.fixture(params=["stream", "path"])
def read_bytes(request: pytest.FixtureRequest, tmp_path: Path):
    def read(content: bytes) -> pd.DataFrame:
        if request.param == "stream":
            return read_raw_candles(io.BytesIO(content))
        path = tmp_path / "raw.csv"
        path.write_bytes(content)
        return read_raw_candles(path)

    return read


@pytest.mark.parametrize(
    "last",
    [CUT_SHORT, "XRP|2021-01-01|16094", "XRP|2021-01-01|1609459200|2|1|abc|1.6|1|1"],
)
def test_an_unterminated_last_line_is_quarantined_as_incomplete(read_bytes, last: str):
    """Well-formed, malformed (cut inside an earlier field) or with text numbers."""
    result = validate_candles(
        read_bytes(_unterminated(*GOOD_ROWS, last)), max_quarantine_share=1.0
    )
    assert result.quarantine["motivo"].tolist() == ["linha_incompleta"]
    assert len(result.candles) == len(GOOD_ROWS)
    assert result.report["unterminated_last_line"] is True
    assert (
        "does not end with a line break"
        in result.report["warnings"]["unterminated_last_line"]
    )
    assert (
        "quarantined as linha_incompleta"
        in result.report["warnings"]["unterminated_last_line"]
    )


def test_an_unterminated_last_line_among_malformed_lines_is_the_last_one(read_bytes):
    rows = [*GOOD_ROWS, "XRP|oops", "ETH|2021-01-03|1609632000|1"]
    result = validate_candles(
        read_bytes(_unterminated(*rows)), max_quarantine_share=1.0
    )
    reasons = dict(
        zip(
            result.quarantine["linha_malformada"],
            result.quarantine["motivo"],
            strict=True,
        )
    )
    assert reasons == {
        "XRP|oops": "linha_malformada",
        "ETH|2021-01-03|1609632000|1": "linha_incompleta",
    }


def test_an_unterminated_last_line_repeating_a_row_is_not_a_silent_duplicate(
    read_bytes,
):
    result = validate_candles(
        read_bytes(_unterminated(*GOOD_ROWS, GOOD_ROWS[0])), max_quarantine_share=1.0
    )
    assert result.quarantine["motivo"].tolist() == ["linha_incompleta"]
    assert result.report["exact_duplicates_removed"] == 0


def test_an_unterminated_last_line_is_kept_when_accepted(read_bytes):
    result = validate_candles(
        read_bytes(_unterminated(*GOOD_ROWS, CUT_SHORT)),
        max_quarantine_share=0.0,
        accept_unterminated_last_line=True,
    )
    assert result.report["rows_quarantined"] == 0
    assert len(result.candles) == len(GOOD_ROWS) + 1
    assert result.report["unterminated_last_line"] is True
    assert (
        "accept_unterminated_last_line is true"
        in result.report["warnings"]["unterminated_last_line"]
    )


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_a_terminated_file_has_no_incomplete_line(read_bytes, ending: str):
    content = (ending.join([HEADER, *GOOD_ROWS]) + ending).encode()
    result = validate_candles(read_bytes(content), max_quarantine_share=0.0)
    assert result.report["unterminated_last_line"] is False
    assert "unterminated_last_line" not in result.report["warnings"]


class _CountingStream(io.BytesIO):
    """Counts the bytes handed out by ``read``."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_detecting_an_unterminated_line_reads_only_the_end_of_the_file():
    body = ("\n".join([HEADER, *GOOD_ROWS * 20_000, CUT_SHORT])).encode()
    stream = _CountingStream(body)
    stream.seek(100)
    assert unterminated_last_line(stream) == CUT_SHORT.encode()
    assert stream.tell() == 100  # put back
    assert stream.bytes_read <= 64 * 1024 + 1
    assert unterminated_last_line(_CountingStream(body + b"\n")) is None


def test_a_stream_that_cannot_seek_is_taken_as_terminated():
    class _Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    assert unterminated_last_line(_Pipe(_unterminated(*GOOD_ROWS))) is None


def test_a_data_column_already_typed_as_dates_is_accepted():
    raw = _raw(*GOOD_ROWS, "XRP|2021-01-05|1609804800|2|1|1.5|1.6|1|1")
    raw["data"] = pd.to_datetime(raw["data"])
    result = validate_candles(raw, max_quarantine_share=0.0)
    assert len(result.candles) == len(GOOD_ROWS) + 1
    assert pd.Timestamp("2021-01-05") in set(result.candles["data"])
