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
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.cli.utils import CONTEXT_SETTINGS, KedroCliError

from criptos.contracts.errors import InputError

INPUT_ERROR_EXIT_CODE = 2
MESSAGE_PREFIX = "criptos: error: "


def find_input_error(error: BaseException) -> InputError | None:
    """The ``InputError`` behind ``error``: itself or an explicit cause (``raise ... from``).

    Kedro wraps a failed load in ``DatasetError`` (twice: the dataset, then the
    catalog), each ``from`` the original error; implicit contexts (an error raised
    while handling another) are not followed, so a bug stays a bug.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, InputError):
            return current
        seen.add(id(current))
        current = current.__cause__
    return None


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
