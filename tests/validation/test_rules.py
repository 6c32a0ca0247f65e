"""The row rules: each quarantines its row with its reason, first broken rule wins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.validation import CONFLICT_RULE, ROW_RULES, RULES, validate_candles
from tests.raw_files import GOOD_ROWS
from tests.validation.raw_rows import BAD_ROWS
from tests.validation.raw_rows import raw as _raw
from tests.validation.raw_rows import validate as _validate


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


def test_the_rules_are_one_list_of_name_predicate_pairs():
    names = [name for name, _ in ROW_RULES]
    assert len(set(names)) == len(names)
    assert all(callable(predicate) for _, predicate in ROW_RULES)
    assert RULES == (*names, CONFLICT_RULE)


def test_a_row_breaking_several_rules_gets_the_first():
    # a non-positive price that is also below the body: preco_nao_positivo comes first
    result = _validate(*GOOD_ROWS, "XRP|2021-01-01|1609459200|0|-1|1.5|1.6|-3|1")
    assert result.quarantine["motivo"].tolist() == ["preco_nao_positivo"]


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
