"""The project's config loader start-up: Kedro's resolver deprecation is silenced, precisely."""

from __future__ import annotations

import warnings
from pathlib import Path

from kedro.config import OmegaConfigLoader
from omegaconf import OmegaConf

from criptos.config.loader import silence_kedro_resolver_deprecation

RESOLVER = "criptos_test_answer"


def deprecations_while_loading(
    conf: Path, *, silenced: bool
) -> list[warnings.WarningMessage]:
    """The register_new_resolver() deprecations of building a Kedro loader and reading
    parameters, then of one direct call from this module."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if silenced:
            silence_kedro_resolver_deprecation()
        try:
            loader = OmegaConfigLoader(
                str(conf),
                base_env="base",
                default_run_env="local",
                custom_resolvers={RESOLVER: lambda: 42},
            )
            assert loader["parameters"] == {"answer": 42}
            OmegaConf.register_new_resolver(f"{RESOLVER}_direct", lambda: 1)
        finally:
            OmegaConf.clear_resolver(RESOLVER)
            OmegaConf.clear_resolver(f"{RESOLVER}_direct")
    return [
        w for w in caught if "register_new_resolver() is deprecated" in str(w.message)
    ]


def test_only_kedros_own_resolver_deprecation_is_silenced(tmp_path: Path):
    for env in ("base", "local"):
        (tmp_path / env).mkdir()
    (tmp_path / "base" / "parameters.yml").write_text(f"answer: ${{{RESOLVER}:}}\n")

    raised = deprecations_while_loading(tmp_path, silenced=False)
    from_kedro = [w for w in raised if w.filename != __file__]
    assert from_kedro, "Kedro no longer calls register_new_resolver(): drop the filter"
    assert all(Path(w.filename).name == "omegaconf_config.py" for w in from_kedro)

    left = deprecations_while_loading(tmp_path, silenced=True)
    assert [w.filename for w in left] == [__file__]  # the direct call still warns
