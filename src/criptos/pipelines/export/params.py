"""Typed ``export`` parameters (``conf/base/parameters_export.yml``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, Strict

from criptos.config.schema import ParamsModel, parse_params


class ExportParams(ParamsModel):
    """Which training run to publish, whether latest may move, what to prune."""

    require_beats_baseline: Annotated[bool, Strict()] = False
    # A training run id (Kedro's save version, e.g. 2026-12-01T10.15.00.000Z).
    run: Annotated[str, Strict(), Field(min_length=1)] | None = None
    keep_last: Annotated[int, Strict(), Field(ge=1)] | None = None
    features_file: str = ""

    @classmethod
    def of(cls, raw: Any) -> ExportParams:
        """``raw`` as parsed by the run's start (returned as is) or a mapping to parse."""
        return parse_params(cls, raw, "export")
