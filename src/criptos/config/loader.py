"""The project's configuration loader: Kedro's OmegaConfigLoader plus ``${run_param:...}``.

Kedro refuses the ``runtime_params`` resolver in ``globals.yml``, yet the storage
roots live there and one of them depends on a run parameter: the bucket of the
``s3`` environment (``kedro run --env s3 --params bucket=NAME``). ``run_param``
reads a ``--params`` value with a default and is allowed everywhere, globals
included::

    s3_root: s3://${run_param:bucket,criptos-data}

Importing this module (``settings.py`` does, before any loader exists) also silences
one warning of Kedro's own code: OmegaConf 2.4 deprecated
``register_new_resolver()``, which ``kedro.config.omegaconf_config`` (Kedro 1.7)
still calls for its ``globals``, ``runtime_params`` and ``oc.env`` resolvers and
for ``CONFIG_LOADER_ARGS["custom_resolvers"]``. Nothing the project can change
raises it: the filter matches that message, category and Kedro module only.
"""

from __future__ import annotations

import warnings
from typing import Any

from kedro.config import OmegaConfigLoader
from omegaconf import OmegaConf
from omegaconf.errors import InterpolationResolutionError

RESOLVER = "run_param"
_MISSING = object()

KEDRO_RESOLVER_DEPRECATION = r"register_new_resolver\(\) is deprecated"
KEDRO_CONFIG_MODULE = r"kedro\.config\.omegaconf_config$"


def silence_kedro_resolver_deprecation() -> None:
    """Ignore OmegaConf's ``register_new_resolver()`` deprecation raised by Kedro's loader.

    Only that message, as a ``UserWarning`` attributed to
    ``kedro.config.omegaconf_config``: the same call from any other module still warns.
    """
    warnings.filterwarnings(
        "ignore",
        message=KEDRO_RESOLVER_DEPRECATION,
        category=UserWarning,
        module=KEDRO_CONFIG_MODULE,
    )


silence_kedro_resolver_deprecation()


def run_param_default(name: str, default: Any = None) -> Any:
    """``${run_param:name,default}`` for a loader that knows no run parameters.

    Registered through ``CONFIG_LOADER_ARGS`` so that a plain ``OmegaConfigLoader``
    built from the project's settings still resolves the configuration (defaults).
    """
    return default


class ProjectConfigLoader(OmegaConfigLoader):
    """``OmegaConfigLoader`` whose globals may read run parameters (``${run_param:k,default}``)."""

    def __getitem__(self, key: str) -> dict[str, Any]:
        # Resolvers are process-wide: bind this loader's parameters before each read.
        OmegaConf.register_resolver(RESOLVER, self._run_param, replace=True)
        return super().__getitem__(key)

    def _run_param(self, name: str, default: Any = _MISSING) -> Any:
        """The run parameter ``name`` (dotted keys allowed), else ``default``."""
        params = OmegaConf.create(dict(self.runtime_params or {}))
        value = OmegaConf.select(params, name, default=_MISSING)
        if value is not _MISSING and value is not None:
            return value
        if default is not _MISSING:
            return default
        raise InterpolationResolutionError(
            f"run parameter {name!r} not given (--params {name}=...) and no default"
        )
