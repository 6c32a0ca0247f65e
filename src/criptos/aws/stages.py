"""The production DAG's stages: which pipelines each Lambda handler runs, in order.

Concatenated, the stages are the pipeline registry's ``__default__`` in its own
order (``criptos.pipeline_registry.DEFAULT_PIPELINES``); ``check_stages`` says so at
import, so a pipeline added to the default run cannot be left out of production.
The backtest runs with training: it judges the same training run, and export
publishes its figures beside the models.
"""

from __future__ import annotations

from dataclasses import dataclass

from criptos.pipeline_registry import DEFAULT_PIPELINES


@dataclass(frozen=True)
class Stage:
    """One Task state of the DAG and the Lambda handler it invokes."""

    state: str  # the Task state's name in the state machine
    handler: str  # the function's name in criptos.aws.handlers
    pipelines: tuple[str, ...]  # run in one Kedro session, in this order

    @property
    def handler_path(self) -> str:
        """The handler as Lambda names it (``module.function``)."""
        return f"criptos.aws.handlers.{self.handler}"


STAGES: tuple[Stage, ...] = (
    Stage("Feature", "feature_job", ("feature_engineering",)),
    Stage("Train", "train", ("training", "backtest")),
    Stage("Export", "export", ("export",)),
)


def check_stages(stages: tuple[Stage, ...] = STAGES) -> tuple[Stage, ...]:
    """``stages``, if together they run the default pipelines once each, in order."""
    covered = tuple(name for stage in stages for name in stage.pipelines)
    if covered != DEFAULT_PIPELINES:
        raise ValueError(
            f"the AWS stages run {list(covered)}, but the default run is "
            f"{list(DEFAULT_PIPELINES)}: update criptos.aws.stages.STAGES"
        )
    return stages


def stage_of_handler(handler: str) -> Stage:
    """The stage whose Lambda handler is ``handler``."""
    for stage in STAGES:
        if stage.handler == handler:
            return stage
    raise KeyError(handler)


check_stages()
