"""kill -9 at any point of a feature run leaves the candle history, the dated and the
latest features each old or new and readable; the next run then completes them."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from criptos.datasets import AtomicParquetDataset
from criptos.features import FeatureParams
from criptos.features.table import FeatureTable
from criptos.validation import validate_candles
from tests.kedro_project import KEDRO, PROJECT_ROOT, KedroProject, cli_environment

pytestmark = pytest.mark.e2e

LAST_DAY = "2021-07-06"
KILL_DELAYS = np.linspace(0.8, 3.2, 7)  # start-up takes about 1.5 s, the nodes 0.5 s


def _table(path: Path, layout: str) -> pa.Table | None:
    """The table at ``path`` as readers see it (None: absent); fails if unreadable."""
    if not path.exists():
        return None
    frame = AtomicParquetDataset(filepath=str(path), layout=layout).load()
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(
        None
    )


def _features(candles: pd.DataFrame) -> pa.Table:
    table = pa.concat_tables(list(FeatureTable(candles, FeatureParams()).iter_tables()))
    return pa.Table.from_pandas(
        table.to_pandas(), preserve_index=False
    ).replace_schema_metadata(None)


@pytest.mark.parametrize("layout", ["file", "parts"])
def test_kill_9_anywhere_leaves_old_or_new_and_the_next_run_completes(
    kedro_project: KedroProject, real_raw_frame: pd.DataFrame, layout: str
):
    project = kedro_project
    raw_rows = real_raw_frame.drop(columns="linha_malformada")
    raw = project.path("raw") / "raw.csv"
    raw_rows[raw_rows["data"] < LAST_DAY].to_csv(raw, sep="|", index=False)
    params = f"features_layout={layout}"
    first = project.kedro(
        "run",
        "--pipelines",
        "feature_engineering",
        "--params",
        f"run_date=20210705,{params}",
    )
    assert first.returncode == 0, first.stderr[-3000:]
    raw_rows[raw_rows["data"] == LAST_DAY].to_csv(raw, sep="|", index=False)

    outputs = {
        "history": project.path("primary") / "candles.parquet",
        "dated": project.path("features") / "cripto_features_20210706.parquet",
        "latest": project.path("features") / "cripto_features_latest.parquet",
    }
    old = {name: _table(path, layout) for name, path in outputs.items()}
    new_candles = validate_candles(real_raw_frame, max_quarantine_share=0.05).candles
    new_features = _features(new_candles)
    new = {
        "history": pa.Table.from_pandas(
            new_candles, preserve_index=False
        ).replace_schema_metadata(None),
        "dated": new_features,
        "latest": new_features,
    }
    saved = project.root / "saved"
    for key in ("primary", "features"):
        shutil.copytree(project.path(key), saved / key, symlinks=True)

    command = [
        *KEDRO,
        "run",
        "--pipelines",
        "feature_engineering",
        "--conf-source",
        str(project.conf),
        "--params",
        f"run_date=20210706,{params},feature_engineering.ingest=append",
    ]
    outcomes = []
    for delay in KILL_DELAYS:
        for key in ("primary", "features"):
            shutil.rmtree(project.path(key))
            shutil.copytree(saved / key, project.path(key), symlinks=True)
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=cli_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.kill()
        process.wait(timeout=30)
        state = {}
        for name, path in outputs.items():
            found = _table(path, layout)
            if found is None:
                assert old[name] is None, (
                    f"{name} vanished after a kill at {delay:.1f} s"
                )
                state[name] = "old"
                continue
            matches = [
                label
                for label, expected in (("old", old[name]), ("new", new[name]))
                if expected is not None and found.equals(expected.cast(found.schema))
            ]
            assert matches, (
                f"{name} is neither old nor new after a kill at {delay:.1f} s"
            )
            state[name] = matches[-1]
        outcomes.append(state)

        again = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env=cli_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert again.returncode == 0, again.stderr[-3000:]
        for name, path in outputs.items():
            completed = _table(path, layout)
            assert completed.equals(new[name].cast(completed.schema)), (name, delay)
    # The kills did land at different points: some before anything was replaced,
    # some after the history, the features or everything.
    assert {"old", "new"} <= {state["history"] for state in outcomes}, outcomes
