"""The whole parameter tree as one typed model, parsed once when a run starts.

``ProjectParameters`` composes the model of each parameters file
(``conf/base/parameters*.yml``). ``ParametersHook`` (``criptos.hooks``) parses the
run's parameters with it, ``--params`` included, before any node runs, and hands
every ``params:<path>`` catalog entry the parsed object at that path: nodes receive
``TrainingParams``, ``FeatureEngineeringParams``, ... not raw dicts. A misspelt key
at any level stops the run with the closest known key.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from criptos.aws.params import DeployParams
from criptos.config.run_date import resolve_run_date
from criptos.config.schema import ParamsModel, parse_params
from criptos.features.params import FeatureEngineeringParams
from criptos.modeling.params import TrainingParams
from criptos.pipelines.backtest.params import BacktestParams
from criptos.pipelines.export.params import ExportParams
from criptos.pipelines.sample_data.params import SampleDataParams
from criptos.validation.params import ValidationParams

PARAMS_PREFIX = "params:"


class ProjectParameters(ParamsModel):
    """Every parameter of the project; the shared ones are at the top
    (``conf/base/parameters.yml``)."""

    # The run's date (YYYYMMDD): names the dated feature file, bounds candle dates.
    run_date: Annotated[str, BeforeValidator(resolve_run_date)]
    # Read by the configuration itself (``--params bucket=NAME`` on the s3
    # environment; ``--params features_layout=parts``), not by nodes.
    bucket: Annotated[str, Field(min_length=1)] | None = None
    features_layout: Literal["file", "parts"] | None = None
    validation: ValidationParams = ValidationParams()
    feature_engineering: FeatureEngineeringParams = FeatureEngineeringParams()
    sample_data: SampleDataParams = SampleDataParams()
    training: TrainingParams | None = None
    backtest: BacktestParams = BacktestParams()
    export: ExportParams = ExportParams()
    deploy: DeployParams = DeployParams()


def parse_parameters(raw: dict[str, Any]) -> ProjectParameters:
    """The run's parameters, checked (``ParameterError`` lists every problem)."""
    return parse_params(ProjectParameters, raw)


def parameter_at(parsed: ProjectParameters, name: str) -> Any:
    """The parsed value of catalog entry ``params:<a.b.c>`` (a field or mapping key
    at each step)."""
    value: Any = parsed
    for part in name.removeprefix(PARAMS_PREFIX).split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


def is_parsed_section(value: Any) -> bool:
    """Whether ``value`` is a parsed model (what a node gets instead of a dict)."""
    return isinstance(value, BaseModel) or dataclasses.is_dataclass(value)
