"""The project's command line: Kedro's ``run``, ending an input error with a clear message.

Kedro loads the ``cli`` group of this module on top of its own commands (``kedro run``
resolves here first; every other command, ``kedro viz`` and ``kedro registry`` among
them, is Kedro's or its plugin's), and ``criptos`` / ``python -m criptos`` call the
same ``run`` through ``find_run_command``.

A run that fails because an input breaks its contract (any ``InputError``: a raw file
with the wrong delimiter, too many quarantined rows, a bad parameter...), raised
directly or wrapped by Kedro's dataset layer, ends with exit status 2 and the error's
own message on stderr, ``criptos: error: <message>``, which names the file, the
problem and the fix. Kedro would print the same message inside two or three chained
tracebacks instead. ``kedro run --verbose`` (or ``-v``) and a user logging
configuration (``KEDRO_LOGGING_CONFIG``) print the traceback before that line. Any
other exception is a bug and keeps Kedro's behaviour: the full traceback, status 1.

``criptos predict BTC [--json]`` (or ``kedro predict``) prints the API's answer for
one asset without a server (``criptos.api.predict_command``).

``criptos verify-bundle`` (or ``kedro verify-bundle``) checks one
published model version without unpickling anything: its manifest, its signature
when ``CRIPTOS_REGISTRY_SIGNING_KEY`` is set, and every model file's sha256. It prints
one ``OK: ...`` line and exits 0, or ends with ``criptos: error: <why>`` and status 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.cli.utils import CONTEXT_SETTINGS, KedroCliError
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.io.core import DatasetError
from kedro.utils import find_kedro_project

from criptos.api import predict_command
from criptos.contracts.errors import find_input_error
from criptos.contracts.model_bundle import (
    SIGNATURE_ALGORITHM,
    SIGNATURE_FIELD,
    SIGNING_KEY_ENV,
    signing_key_from_env,
)
from criptos.datasets.model_registry import ModelRegistryDataset

INPUT_ERROR_EXIT_CODE = 2
MESSAGE_PREFIX = "criptos: error: "
REGISTRY_DATASET = "model_registry"


def tracebacks_wanted(verbose: bool) -> bool:
    """Whether an input error is shown with its traceback: asked for, or custom logging."""
    return (
        verbose
        or KedroCliError.VERBOSE_ERROR
        or bool(os.environ.get("KEDRO_LOGGING_CONFIG"))
    )


def _set_verbose(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        KedroCliError.VERBOSE_ERROR = True  # Kedro's own CLI errors in full too
    return value


def _run(verbose: bool = False, **kwargs: Any) -> Any:
    try:
        return kedro_run.callback(**kwargs)
    except Exception as error:
        input_error = find_input_error(error)
        if input_error is None:
            raise
        if tracebacks_wanted(verbose):
            sys.excepthook(type(error), error, error.__traceback__)
        click.echo(f"{MESSAGE_PREFIX}{input_error}", err=True)
        sys.stderr.flush()
        raise click.exceptions.Exit(INPUT_ERROR_EXIT_CODE) from None


VERBOSE_OPTION = click.Option(
    ["--verbose", "-v"],
    is_flag=True,
    default=False,
    callback=_set_verbose,
    expose_value=True,
    is_eager=True,
    help="On an input error, print the full traceback too (it still exits with status 2).",
)


@click.group(context_settings=CONTEXT_SETTINGS, name="criptos")
def cli() -> None:
    """Command line tools of the criptos project."""


run = click.Command(
    name="run",
    callback=_run,
    params=[*kedro_run.params, VERBOSE_OPTION],
    help=(
        f"{kedro_run.help}\n\nAn input error (a raw file or parameter that breaks its "
        "contract) ends the run with exit status 2 and one message on stderr; "
        "--verbose adds the traceback."
    ),
    context_settings=kedro_run.context_settings,
)
cli.add_command(run)
cli.add_command(predict_command.predict)


# ------------------------------------------------------------- verify-bundle


class BundleCheckFailed(Exception):
    """``verify-bundle`` found a problem; the message says which."""


def _fail(message: str) -> click.exceptions.Exit:
    click.echo(f"{MESSAGE_PREFIX}{message}", err=True)
    sys.stderr.flush()
    return click.exceptions.Exit(INPUT_ERROR_EXIT_CODE)


def _catalog_registry(env: str | None, conf_source: str | None) -> ModelRegistryDataset:
    """The project's ``model_registry`` catalog entry, as ``kedro run`` would build it."""
    root = find_kedro_project(Path.cwd())
    if root is None:
        raise BundleCheckFailed(
            "no Kedro project in the working directory or its parents; "
            "give the registry with --registry PATH_OR_URI"
        )
    bootstrap_project(Path(root))
    session = KedroSession.create(
        project_path=root, env=env, conf_source=conf_source, save_on_close=False
    )
    catalog = session.load_context().catalog
    if REGISTRY_DATASET not in catalog:
        raise BundleCheckFailed(
            f"the catalog of environment {env or 'local'} has no {REGISTRY_DATASET!r} "
            "entry; give the registry with --registry PATH_OR_URI"
        )
    registry = catalog[REGISTRY_DATASET]
    if not isinstance(registry, ModelRegistryDataset):
        raise BundleCheckFailed(
            f"catalog entry {REGISTRY_DATASET!r} is a {type(registry).__name__}, "
            "not a ModelRegistryDataset"
        )
    return registry


def _signature_note(manifest: dict[str, Any], key: bytes | None) -> str:
    if key is not None:
        return f"signature verified ({SIGNATURE_ALGORITHM})"
    if SIGNATURE_FIELD in manifest:
        return f"signed, signature NOT verified ({SIGNING_KEY_ENV} not set)"
    return f"unsigned (signatures not checked: {SIGNING_KEY_ENV} not set)"


def verify_bundle_line(
    registry: ModelRegistryDataset, version: str | None, require_signature: bool
) -> str:
    """Check one version (default: the one latest names); the OK line, or raise."""
    key = signing_key_from_env()
    if require_signature and key is None:
        raise BundleCheckFailed(
            f"--require-signature: {SIGNING_KEY_ENV} is not set, so the signature "
            "cannot be checked"
        )
    where = registry._describe()["root"]
    if version is None:
        latest = registry.latest_manifest()
        if latest is None:
            raise BundleCheckFailed(
                f"no model version published in {where} (no latest/manifest.json)"
            )
        version = str(latest.get("version"))
    manifest = registry.verify_version(version)
    return (
        f"OK: model version {version} in {where}: manifest valid, "
        f"{_signature_note(manifest, key)}, {len(manifest['models'])} model files "
        "match their sha256 (nothing unpickled)"
    )


@cli.command(name="verify-bundle")
@click.option(
    "--registry",
    "registry_uri",
    metavar="PATH_OR_URI",
    default=None,
    help=f"Registry root (a folder or s3://bucket/prefix). Default: the catalog "
    f"entry {REGISTRY_DATASET} of --env.",
)
@click.option(
    "--version",
    "version",
    default=None,
    help="Version to check, e.g. 20261127T101500123456Z-3fa9. Default: the one latest names.",
)
@click.option(
    "--require-signature",
    is_flag=True,
    default=False,
    help=f"Fail unless {SIGNING_KEY_ENV} is set (and so the signature checked).",
)
@click.option(
    "--env",
    "-e",
    default=None,
    help="Kedro environment whose catalog names the registry (without --registry).",
)
@click.option(
    "--conf-source",
    default=None,
    help="Configuration folder replacing conf/ (without --registry).",
)
def verify_bundle(
    registry_uri: str | None,
    version: str | None,
    require_signature: bool,
    env: str | None,
    conf_source: str | None,
) -> None:
    """Check a published model version without unpickling anything.

    Checks the manifest, its signature when CRIPTOS_REGISTRY_SIGNING_KEY is set,
    and every model file against its sha256. Prints one OK line and exits 0, or
    prints "criptos: error: ..." and exits 2.
    """
    try:
        registry = (
            ModelRegistryDataset(path=registry_uri)
            if registry_uri
            else _catalog_registry(env, conf_source)
        )
        line = verify_bundle_line(registry, version, require_signature)
    except (BundleCheckFailed, DatasetError, OSError) as error:
        raise _fail(str(error)) from None
    click.echo(line)


if __name__ == "__main__":
    cli()
