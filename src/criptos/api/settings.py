"""Configuration of the prediction service (environment variables ``CRIPTOS_API_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from criptos.api.state import ServingPolicy

ENV_PREFIX = "CRIPTOS_API_"


class Settings(BaseSettings):
    """Where the Kedro project lives, which environment to read and how to reload.

    Every field comes from ``CRIPTOS_API_<FIELD>``; the Kedro environment also
    honours ``KEDRO_ENV`` like the ``kedro`` CLI does.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True, frozen=True
    )

    project_path: Path | None = Field(
        default=None,
        description="Kedro project root; default: found from the working directory.",
    )
    env: str | None = Field(
        default=None,
        validation_alias=AliasChoices(f"{ENV_PREFIX}ENV", "KEDRO_ENV", "env"),
        description="Kedro environment (default: the project's run environment, local).",
    )
    conf_source: Path | None = Field(
        default=None, description="Configuration folder replacing the project's conf/."
    )
    params: dict[str, str] = Field(
        default_factory=dict,
        description="Runtime parameters like `kedro run --params`, e.g. {'bucket': 'name'}.",
    )
    poll_interval: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between checks of latest/manifest.json and of the "
        "latest feature table.",
    )
    stale_after_days: int = Field(
        default=3,
        ge=0,
        description="An answer whose as_of is more days old than this says stale: true.",
    )
    max_missing_inputs_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="An asset whose latest row misses more than this share of the "
        "model inputs answers 422 instead of a median-filled guess.",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="Enables POST /admin/reload, which then requires this bearer token.",
    )
    registry_dataset: str = Field(
        default="model_registry", description="Catalog entry of the model registry."
    )
    features_dataset: str = Field(
        default="cripto_features_latest@pandas",
        description="Catalog entry of the latest features (read as pandas).",
    )

    @property
    def policy(self) -> ServingPolicy:
        """When answers are stale and assets refused."""
        return ServingPolicy(
            stale_after_days=self.stale_after_days,
            max_missing_inputs_share=self.max_missing_inputs_share,
        )

    @field_validator("admin_token")
    @classmethod
    def _empty_token_disables(cls, token: SecretStr | None) -> SecretStr | None:
        """An empty token means no admin endpoint, never an empty password."""
        if token is None or not token.get_secret_value().strip():
            return None
        return token

    @field_validator("env")
    @classmethod
    def _empty_env_is_default(cls, env: str | None) -> str | None:
        return env.strip() or None if env is not None else None
