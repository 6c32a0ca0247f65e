"""GET /ativos and GET /models: what the version in use serves and where it comes from."""

from __future__ import annotations

from fastapi import APIRouter

from criptos.api.dependencies import ServiceDep, StateDep
from criptos.api.schemas import (
    NOT_READY_DESCRIPTION,
    AssetEntry,
    AssetsResponse,
    FeaturesInUse,
    ModelsResponse,
    ReloadErrorBody,
    error_responses,
)
from criptos.api.state import ReloadError

router = APIRouter(tags=["models"])


def error_body(error: ReloadError | None) -> ReloadErrorBody | None:
    """The client view of a reload error (its message is path-free by construction)."""
    if error is None:
        return None
    return ReloadErrorBody(
        version=error.version, stage=error.stage, message=error.message, at=error.at
    )


@router.get(
    "/ativos",
    response_model=AssetsResponse,
    responses=error_responses({503: NOT_READY_DESCRIPTION}),
    summary="Assets served, with the date of their feature row",
)
async def list_assets(state: StateDep) -> AssetsResponse:
    """Every asset ``/predict`` answers for in the version in use."""
    return AssetsResponse(
        model_version=state.version,
        ativos=[
            AssetEntry(
                ativo=code, as_of=item.as_of, predictable=item.answer is not None
            )
            for code, item in state.assets.items()
        ],
    )


@router.get(
    "/models",
    response_model=ModelsResponse,
    summary="Manifest in use, last reload error",
)
async def describe_models(service: ServiceDep) -> ModelsResponse:
    """The manifest of the version in use (null before the first load) and the last refusal."""
    state = service.state
    return ModelsResponse(
        model_version=state.version if state else None,
        loaded_at=state.loaded_at if state else None,
        features=FeaturesInUse(
            loaded_at=state.features.loaded_at,
            as_of=state.features.as_of,
            assets=len(state.assets),
        )
        if state
        else None,
        manifest=state.public_manifest if state else None,
        last_reload_error=error_body(service.last_error),
    )
