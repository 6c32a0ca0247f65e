"""GraphQL at /graphql (Strawberry), over the same service as the REST routes.

Each resolver asks ``ModelService`` exactly what the REST route asks (``answer`` for
``predict``, the state's assets for ``ativos``) and converts the answer's fields:
there is no second code path to drift. A refusal is a GraphQL error with the REST
message and ``extensions.status`` (404, 422, 503) and ``days_needed`` when known. A
browser's GET gets GraphiQL from assets shipped with the package (no CDN).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import strawberry
from fastapi import Depends
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.fastapi import GraphQLRouter
from strawberry.types import Info

from criptos.api.dependencies import get_service
from criptos.api.schemas import ASSET_CODE_PATTERN
from criptos.api.schemas import PredictionResponse as RestAnswer
from criptos.api.service import ModelService
from criptos.api.state import AssetNotServed

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"
GRAPHQL_URL = "/graphql"


@strawberry.type(
    description="The model's tested training verdict against its baseline."
)
class Verdict:
    beats_baseline: bool | None
    p_value_adjusted: float | None
    metric: str | None
    baseline: str | None


@strawberry.type(description="One model's forecast for the asset, with its verdict.")
class ModelPrediction:
    model: str
    task: str
    predicted_log_return: float | None
    predicted_close: float | None
    probability_up: float | None
    direction: str | None
    verdict: Verdict
    holdout_net_sharpe: float | None


@strawberry.type(description="Per task, the model that passed its baseline test.")
class Recommended:
    regression: str | None
    classification: str | None


@strawberry.type(
    description="Every model's prediction for one asset (as GET /predict)."
)
class Prediction:
    ativo: str
    as_of: date
    age_days: int
    stale: bool
    last_close: float
    horizon_days: int
    model_version: str
    seen_in_training: bool
    missing_inputs: list[str]
    recommended: Recommended
    predictions: list[ModelPrediction]

    @classmethod
    def of(cls, answer: RestAnswer) -> Prediction:
        fields = answer.model_dump(exclude={"predictions", "recommended"})
        return cls(
            **fields,
            recommended=Recommended(**answer.recommended.model_dump()),
            predictions=[
                ModelPrediction(
                    model=name,
                    task=output.task,
                    predicted_log_return=getattr(output, "predicted_log_return", None),
                    predicted_close=getattr(output, "predicted_close", None),
                    probability_up=getattr(output, "probability_up", None),
                    direction=getattr(output, "direction", None),
                    verdict=Verdict(**output.verdict.model_dump()),
                    holdout_net_sharpe=output.holdout_net_sharpe,
                )
                for name, output in answer.predictions.items()
            ],
        )


@strawberry.type(description="One asset of the latest features (as GET /ativos).")
class Asset:
    ativo: str
    as_of: date
    predictable: bool


def _error(refusal: AssetNotServed) -> GraphQLError:
    extensions: dict[str, Any] = {"status": refusal.status}
    if refusal.days_needed is not None:
        extensions["days_needed"] = refusal.days_needed
    return GraphQLError(refusal.message, extensions=extensions)


def _service(info: Info) -> ModelService:
    return info.context["service"]


@strawberry.type
class Query:
    @strawberry.field(description="Predictions of every model for one asset.")
    def predict(self, info: Info, ativo: str) -> Prediction:
        if not re.fullmatch(ASSET_CODE_PATTERN.strip("^$"), ativo):
            raise GraphQLError(
                f"ativo: String should match pattern '{ASSET_CODE_PATTERN}'",
                extensions={"status": 422},
            )
        try:
            return Prediction.of(_service(info).answer(ativo))
        except AssetNotServed as refusal:
            raise _error(refusal) from None

    @strawberry.field(description="Every asset of the latest features.")
    def ativos(self, info: Info) -> list[Asset]:
        try:
            state = _service(info).serving()
        except AssetNotServed as refusal:
            raise _error(refusal) from None
        return [
            Asset(ativo=code, as_of=item.as_of, predictable=item.answer is not None)
            for code, item in state.assets.items()
        ]


# A new query text is parsed and validated once (GraphQLResultCache serves repeats).
# (Factories: Strawberry builds the extensions per request; their caches are shared.)
schema = strawberry.Schema(
    query=Query,
    extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
)


async def _context(
    service: Annotated[ModelService, Depends(get_service)],
) -> dict[str, Any]:
    return {"service": service}


@cache
def _graphiql_page() -> str:
    page = (STATIC_DIR / "graphiql" / "index.html").read_text(encoding="utf-8")
    return page.replace("{{ static_url }}", f"{STATIC_URL}/graphiql").replace(
        "{{ graphql_url }}", GRAPHQL_URL
    )


class _LocalGraphiQLRouter(GraphQLRouter):
    """Strawberry's router with GraphiQL from the package's own static files."""

    @property
    def graphql_ide_html(self) -> str:
        return _graphiql_page()


def graphql_router() -> GraphQLRouter:
    """The /graphql route: POST (and GET) queries, GraphiQL for browsers."""
    return _LocalGraphiQLRouter(
        schema, path=GRAPHQL_URL, context_getter=_context, tags=["graphql"]
    )
