"""The project CLI: an input error ends `kedro run` with status 2 and one readable message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from kedro.framework.cli.project import run as kedro_run

from criptos import cli as project_cli
from criptos.contracts.errors import InputError
from criptos.contracts.raw_file import RawFileError
from criptos.validation import QuarantineLimitExceeded
from tests.kedro_project import (
    KEDRO,
    PROJECT_ROOT,
    KedroProject,
    cli_environment,
    run_criptos,
)
from tests.raw_files import GOOD_ROWS, HEADER, write_raw

PREFIX = project_cli.MESSAGE_PREFIX


class _Wrapper(Exception):
    pass


def _wrapped(error: BaseException) -> _Wrapper:
    """``error`` wrapped twice, the way Kedro's dataset and catalog wrap a failed load."""
    try:
        try:
            raise error
        except BaseException as inner:
            raise _Wrapper("dataset failed") from inner
    except _Wrapper as middle:
        try:
            raise _Wrapper("catalog failed") from middle
        except _Wrapper as outer:
            return outer


def test_input_errors_are_found_through_explicit_causes():
    error = RawFileError("raw.csv has the wrong delimiter")
    assert project_cli.find_input_error(error) is error
    assert project_cli.find_input_error(_wrapped(error)) is error
    assert issubclass(QuarantineLimitExceeded, InputError)


def test_an_error_raised_while_handling_an_input_error_is_a_bug():
    try:
        try:
            raise RawFileError("bad file")
        except RawFileError:
            raise RuntimeError("bug in the handler")  # noqa: B904 (the point of the test)
    except RuntimeError as bug:
        assert bug.__context__ is not None
        assert project_cli.find_input_error(bug) is None
    assert project_cli.find_input_error(ValueError("plain bug")) is None


@pytest.fixture
def fake_kedro_run(monkeypatch: pytest.MonkeyPatch):
    """Replaces Kedro's run callback by one raising the given exception."""

    def install(error: BaseException) -> None:
        def failing_run(**kwargs):
            raise error

        monkeypatch.setattr(project_cli.kedro_run, "callback", failing_run)

    monkeypatch.delenv("KEDRO_LOGGING_CONFIG", raising=False)
    monkeypatch.setattr(project_cli.KedroCliError, "VERBOSE_ERROR", False)
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    return install


def test_wrapped_input_error_exits_2_with_its_message(fake_kedro_run):
    fake_kedro_run(_wrapped(RawFileError("raw.csv has the wrong delimiter: use '|'")))
    result = CliRunner().invoke(project_cli.cli, ["run"])
    assert result.exit_code == 2
    assert result.stderr == f"{PREFIX}raw.csv has the wrong delimiter: use '|'\n"
    assert result.stdout == ""


def test_verbose_input_error_shows_the_traceback_and_still_exits_2(fake_kedro_run):
    fake_kedro_run(_wrapped(RawFileError("raw.csv has the wrong delimiter")))
    result = CliRunner().invoke(project_cli.cli, ["run", "--verbose"])
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "RawFileError" in result.stderr
    assert result.stderr.endswith(f"{PREFIX}raw.csv has the wrong delimiter\n")


def test_other_exceptions_propagate_unchanged(fake_kedro_run):
    bug = KeyError("not an input error")
    fake_kedro_run(bug)
    result = CliRunner().invoke(project_cli.cli, ["run"])
    assert result.exit_code == 1
    assert result.exception is bug
    assert PREFIX not in result.stderr


def test_run_keeps_every_kedro_run_option():
    ours = {param.name for param in project_cli.run.params}
    assert {param.name for param in kedro_run.params} | {"verbose"} == ours


# --- end to end: the real CLI in a subprocess -------------------------------------------


def _wrong_delimiter(project: KedroProject) -> Path:
    raw = project.path("raw") / "raw.csv"
    write_raw(
        raw,
        [row.replace("|", ",") for row in GOOD_ROWS],
        header=HEADER.replace("|", ","),
    )
    return raw


@pytest.mark.e2e
def test_cli_wrong_delimiter_is_one_message_and_status_2(kedro_project: KedroProject):
    raw = _wrong_delimiter(kedro_project)
    result = kedro_project.kedro("run", "--pipelines", "feature_engineering")
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    messages = [line for line in result.stderr.splitlines() if line.startswith(PREFIX)]
    assert len(messages) == 1, result.stderr
    assert str(raw) in messages[0] and "wrong delimiter" in messages[0]
    assert result.stderr.count("wrong delimiter") == 1
    assert not (
        kedro_project.path("features") / "cripto_features_latest.parquet"
    ).exists()


@pytest.mark.e2e
def test_cli_verbose_shows_the_traceback(kedro_project: KedroProject):
    _wrong_delimiter(kedro_project)
    result = kedro_project.kedro(
        "run", "--verbose", "--pipelines", "feature_engineering"
    )
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert "RawFileError" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith(PREFIX)


@pytest.mark.e2e
def test_cli_user_logging_config_shows_the_traceback(kedro_project: KedroProject):
    _wrong_delimiter(kedro_project)
    result = kedro_project.kedro(
        "run",
        "--pipelines",
        "feature_engineering",
        env={"KEDRO_LOGGING_CONFIG": str(PROJECT_ROOT / "conf" / "logging.yml")},
    )
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith(PREFIX)


@pytest.mark.e2e
def test_cli_quarantine_limit_is_status_2(kedro_project: KedroProject):
    write_raw(
        kedro_project.path("raw") / "raw.csv",
        [
            *GOOD_ROWS,
            "BTC|2021-01-04|1609718400|90|101|108|102|0|0",  # high below open and close
            "ETH|2021-01-03|1609632000|abc|10|11|10.5|80|840",  # not a number
        ],
    )
    result = kedro_project.kedro("run", "--pipelines", "feature_engineering")
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    messages = [line for line in result.stderr.splitlines() if line.startswith(PREFIX)]
    assert len(messages) == 1 and "max_quarantine_share" in messages[0]


@pytest.mark.e2e
def test_console_script_ends_input_errors_the_same_way(kedro_project: KedroProject):
    _wrong_delimiter(kedro_project)
    result = run_criptos(
        "--pipelines", "feature_engineering", "--conf-source", str(kedro_project.conf)
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(PREFIX)


@pytest.mark.e2e
def test_cli_other_failures_keep_kedro_behaviour(kedro_project: KedroProject):
    """A broken catalog entry is not an input error: Kedro's traceback and status 1."""
    (kedro_project.conf / "local" / "catalog.yml").write_text(
        "raw_candles:\n  type: criptos.datasets.NoSuchDataset\n  filepath: raw.csv\n"
    )
    result = kedro_project.kedro("run", "--pipelines", "feature_engineering")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert PREFIX not in result.stderr


def _kedro_in_project(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*KEDRO, *args],
        cwd=PROJECT_ROOT,
        env=cli_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.e2e
def test_other_kedro_commands_still_work():
    listed = _kedro_in_project("registry", "list")
    assert listed.returncode == 0, listed.stderr[-3000:]
    for name in ("__default__", "feature_engineering", "sample_data"):
        assert f"- {name}" in listed.stdout
    helped = _kedro_in_project("run", "--help")
    assert helped.returncode == 0, helped.stderr[-3000:]
    assert "--verbose" in helped.stdout and "--pipelines" in helped.stdout
