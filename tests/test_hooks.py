"""Project hooks: the per-node log line, in a real runner and in a real ``kedro run``."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import AbstractDataset, DataCatalog, MemoryDataset
from kedro.pipeline import node, pipeline
from kedro.runner import SequentialRunner

from criptos.hooks import NodeLogHook
from criptos.pipeline_registry import register_pipelines
from tests.kedro_project import KedroProject

SAVE_SECONDS = 0.3
NODE_LINE = r"Node {name} done in (\d+\.\d\d) s"


class SlowSaveDataset(AbstractDataset):
    """Keeps its data in memory, but each save takes ``SAVE_SECONDS``."""

    def __init__(self) -> None:
        self._data: Any = None

    def _save(self, data: Any) -> None:
        time.sleep(SAVE_SECONDS)
        self._data = data

    def _load(self) -> Any:
        return self._data

    def _describe(self) -> dict[str, Any]:
        return {}


def _candles(count: int) -> tuple[pd.DataFrame, dict[str, int]]:
    return pd.DataFrame({"close": range(count)}), {"count": count}


def _total(frame: pd.DataFrame) -> int:
    return int(frame["close"].sum())


def _check(total: int) -> None:
    if total < 0:
        raise ValueError("negative total")


def _fail(total: int) -> int:
    raise RuntimeError("this node fails")


def run_with_node_log(nodes, hook: NodeLogHook, inputs: dict[str, Any]) -> None:
    catalog = DataCatalog(
        {name: MemoryDataset(value) for name, value in inputs.items()}
        | {"total": SlowSaveDataset()}
    )
    hook_manager = _create_hook_manager()
    hook_manager.register(hook)
    SequentialRunner().run(pipeline(nodes), catalog, hook_manager)


def node_lines(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "criptos.hooks" and record.levelno == logging.INFO
    ]
    by_node = {line.split()[1]: line for line in lines if line.startswith("Node ")}
    assert len(by_node) == len(lines), lines
    return by_node


NODES = [
    node(_candles, "count", ["frame", "summary"], name="make_frame"),
    node(_total, "frame", "total", name="sum_frame"),
    node(_check, "total", None, name="check_total"),
]


def test_one_line_per_node_with_duration_and_dataframe_rows(caplog):
    caplog.set_level(logging.INFO, logger="criptos.hooks")
    run_with_node_log(NODES, NodeLogHook(), {"count": 4})
    lines = node_lines(caplog)
    assert sorted(lines) == ["check_total", "make_frame", "sum_frame"]
    # DataFrames give their rows; the dict output is not named.
    assert lines["make_frame"].endswith(": frame 4 rows")
    assert "summary" not in lines["make_frame"]
    # An int output: no rows; the duration includes saving it.
    duration = re.fullmatch(NODE_LINE.format(name="sum_frame"), lines["sum_frame"])
    assert duration is not None, lines["sum_frame"]
    assert float(duration.group(1)) >= SAVE_SECONDS - 0.01
    # A node without outputs still gets its line.
    assert re.fullmatch(NODE_LINE.format(name="check_total"), lines["check_total"])


def test_a_failed_node_gets_no_line_and_the_next_run_starts_clean(caplog):
    caplog.set_level(logging.INFO, logger="criptos.hooks")
    hook = NodeLogHook()
    failing = [NODES[0], node(_fail, "frame", "total", name="sum_frame")]
    with pytest.raises(RuntimeError, match="this node fails"):
        run_with_node_log(failing, hook, {"count": 2})
    assert sorted(node_lines(caplog)) == ["make_frame"]
    caplog.clear()
    run_with_node_log(NODES, hook, {"count": 3})
    assert sorted(node_lines(caplog)) == ["check_total", "make_frame", "sum_frame"]


# A feature run logs: "Kedro project criptos", per node the hook's line and at most
# two of the project's own INFO lines (the validation summary; the recompute
# decision and batch progress; the run summary), and "Pipeline ran in": with the
# four nodes that is 1 + 4 x 3 + 1 = 14 one-line messages (COLUMNS=400: rich wraps
# nothing). 20 leaves room for a new project line or two; Kedro's per-node chatter
# (4-7 lines a node), a warning block (6 lines each) or a traceback exceed it. The
# same run logged 60 lines before.
MAX_FEATURE_RUN_LINES = 20


@pytest.mark.e2e
def test_a_feature_run_logs_one_line_per_node_and_no_noise(
    kedro_project: KedroProject, real_raw_csv: Path
):
    kedro_project.use_raw_file(real_raw_csv)
    result = kedro_project.kedro("run", "--pipelines", "feature_engineering")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "deprecated" not in output.lower(), output
    assert "register_new_resolver" not in output, output
    lines = output.splitlines()
    for name in (n.name for n in register_pipelines()["feature_engineering"].nodes):
        pattern = re.compile(r"INFO\s+" + NODE_LINE.format(name=re.escape(name)))
        assert len([line for line in lines if pattern.search(line)]) == 1, name
    for chatter in (
        "Loading data from",
        "Running node:",
        "Saving data to",
        "Completed node",
        "out of 4 tasks",
        "as logging configuration",
    ):
        assert chatter not in output, chatter
    assert "Pipeline ran in" in output
    assert len(lines) <= MAX_FEATURE_RUN_LINES, output
