"""The prediction service: FastAPI over the exported model bundles, with hot reload."""

from criptos.api.app import create_app
from criptos.api.settings import Settings

__all__ = ["Settings", "create_app"]
