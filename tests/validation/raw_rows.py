"""Raw rows for the validation tests, read the way the raw dataset reads them."""

from __future__ import annotations

import io

import pandas as pd

from criptos.contracts.raw_file import read_raw_candles
from criptos.validation import ValidationResult, validate_candles
from tests.raw_files import HEADER

# One row breaking each row rule (and no earlier one), by rule.
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


def raw(*rows: str) -> pd.DataFrame:
    """The raw frame of a file holding the header and ``rows``."""
    return read_raw_candles(io.BytesIO(("\n".join([HEADER, *rows]) + "\n").encode()))


def validate(*rows: str, limit: float = 1.0) -> ValidationResult:
    """``validate_candles`` on ``rows`` with the default bounds."""
    return validate_candles(raw(*rows), max_quarantine_share=limit)
