"""The Glue entry script run locally on PySpark, as Glue runs it.

``python deploy/aws/glue/feature_job.py --JOB_NAME ... --bucket B --run_date D`` from
a working directory holding only ``conf-criptos.tar.gz`` (what ``--extra-files``
gives the job), with the package installed: the ``glue`` environment's feature
engineering on Spark, compared column for column with the local engine on the real
data: once on a local folder standing in for the bucket (``file://``), once on
SeaweedFS through ``s3a://``.

PySpark ships no S3A connector, and hadoop-aws of its Hadoop (3.5.0) is on Maven
Central only, which this machine cannot reach. The s3a test uses the one S3A pair a
reachable registry has: hadoop-aws 3.3.1 and the AWS SDK v1 bundle 1.11.901, from
PyPI's sagemaker-pyspark 1.4.5 (``make s3a-jars`` puts them in .venv/spark-jars/).
Hadoop supports only equal versions; these run on Hadoop 3.5 with the overrides of
``S3A_331_ON_HADOOP_35`` (3.5's defaults that 3.3.1 cannot read), in the test's
copy of the configuration only. Without the jars the job stops before writing,
naming the jar (tested too).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog

from criptos.aws import glue
from criptos.config.loader import ProjectConfigLoader
from criptos.settings import CONFIG_LOADER_ARGS
from tests.kedro_project import PROJECT_ROOT, cli_environment
from tests.s3.helpers import RUN_DATE, output_tail, prepare_bucket
from tests.s3_server import SeaweedS3
from tests.spark.local_engine import assert_same_as_local, comparable, local_features

SCRIPT = PROJECT_ROOT / "deploy" / "aws" / "glue" / "feature_job.py"
CONF = PROJECT_ROOT / "conf"
BUCKET = "criptos-glue"
# Glue passes arguments of its own besides the job's; the script must ignore them.
GLUE_OWN_ARGUMENTS = ("--job-bookmark-option", "job-bookmark-disable")
S3A_JARS = Path(
    os.environ.get("CRIPTOS_S3A_JARS", PROJECT_ROOT / ".venv" / "spark-jars")
)
S3A_JAR_NAMES = ("hadoop-aws-3.3.1.jar", "aws-java-sdk-bundle-1.11.901.jar")
# Hadoop 3.5's core-default.xml writes these durations with units ("60s"), which
# hadoop-aws 3.3.1 reads as plain numbers, and names SDK v2 credential providers;
# the values are 3.3.1's own defaults, and credentials come from the AWS variables.
S3A_331_ON_HADOOP_35 = {
    "spark.hadoop.fs.s3a.threads.keepalivetime": "60",
    "spark.hadoop.fs.s3a.connection.establish.timeout": "5000",
    "spark.hadoop.fs.s3a.connection.timeout": "200000",
    "spark.hadoop.fs.s3a.connection.request.timeout": "0",
    "spark.hadoop.fs.s3a.connection.ttl": "300000",
    "spark.hadoop.fs.s3a.multipart.purge.age": "86400",
    "spark.hadoop.fs.s3a.aws.credentials.provider": (
        "com.amazonaws.auth.EnvironmentVariableCredentialsProvider"
    ),
}


def config_loader(conf: Path, env: str, **params: str) -> ProjectConfigLoader:
    """The configuration at ``conf`` (a folder or archive) as a run of ``env`` sees it."""
    return ProjectConfigLoader(
        str(conf), env=env, runtime_params=params, **CONFIG_LOADER_ARGS
    )


def _hadoop_version() -> str:
    """The Hadoop inside the installed PySpark (its hadoop-client-api jar)."""
    import pyspark  # noqa: PLC0415

    jars = Path(pyspark.__file__).parent / "jars"
    (jar,) = jars.glob("hadoop-client-api-*.jar")
    return re.fullmatch(r"hadoop-client-api-(.+)\.jar", jar.name)[1]


def _run_glue_script(
    workdir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The entry script in ``workdir``, as Glue starts it (no project folder)."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--JOB_NAME", "criptos-features", *args],
        cwd=workdir,
        env=cli_environment(**(env or {})),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# --- the entry script end to end -------------------------------------------------


def _conf_copy(root: Path, roots: str | None = None, spark: dict | None = None) -> Path:
    """The project's configuration copied under ``root``: the glue roots at
    ``roots`` and ``spark`` added to its Spark settings, when given."""
    conf = root / "conf"
    shutil.copytree(CONF, conf, ignore=shutil.ignore_patterns("local"))
    for name, key, value in (("globals", "bucket_root", roots), ("spark", None, spark)):
        if value is None:
            continue
        path = conf / "glue" / f"{name}.yml"
        content = yaml.safe_load(path.read_text())
        content.update({key: value} if key else value)
        path.write_text(yaml.safe_dump(content))
    return conf


def _assert_features_equal_the_local_engines(
    configuration: ProjectConfigLoader, real_raw_csv: Path
) -> pd.DataFrame:
    """The latest features read as training reads them (the catalog's @pandas
    entry): the same columns, rows in (ativo, data) order, values bit for bit."""
    local, _, _ = local_features(
        real_raw_csv, RUN_DATE, configuration["parameters"]["validation"]
    )
    catalog = DataCatalog.from_config(configuration["catalog"])
    on_glue = catalog.load("cripto_features_latest@pandas")
    assert_same_as_local(on_glue, local)
    return on_glue


@pytest.fixture(scope="module")
def glue_run(tmp_path_factory, real_raw_csv: Path):
    """The script on a folder standing in for the bucket (``file://`` root), the
    shipped glue configuration otherwise, from Glue's kind of working directory."""
    root = tmp_path_factory.mktemp("glue_run")
    stand_in = root / "bucket"
    (stand_in / "raw").mkdir(parents=True)
    shutil.copyfile(real_raw_csv, stand_in / "raw" / "raw.csv")
    conf = _conf_copy(root, roots=stand_in.as_uri())
    workdir = root / "glue-workdir"
    glue.write_conf_archive(conf, workdir / glue.CONF_ARCHIVE)
    result = _run_glue_script(
        workdir, *GLUE_OWN_ARGUMENTS, "--bucket", BUCKET, "--run_date", RUN_DATE
    )
    assert result.returncode == 0, output_tail(result)
    return conf, stand_in, result.stdout + result.stderr


@pytest.mark.spark
@pytest.mark.e2e
@pytest.mark.slow
def test_the_glue_script_writes_the_history_and_features_as_parquet_folders(glue_run):
    _, stand_in, log = glue_run
    assert "Spark session" in log
    assert "criptos glue feature_job" in log
    for folder in (
        stand_in / "primary" / "candles.parquet",
        stand_in / "features" / f"cripto_features_{RUN_DATE}.parquet",
        stand_in / "features" / "cripto_features_latest.parquet",
    ):
        assert (folder / "_SUCCESS").is_file(), folder
        assert list(folder.glob("part-*.parquet")), folder


@pytest.mark.spark
@pytest.mark.e2e
@pytest.mark.slow
def test_the_glue_features_equal_the_local_engines(glue_run, real_raw_csv: Path):
    """The latest features equal the local engine's; the dated table is the latest
    and the validation report the local engine's."""
    conf, stand_in, _ = glue_run
    configuration = config_loader(conf, "glue", bucket=BUCKET, run_date=RUN_DATE)
    on_glue = _assert_features_equal_the_local_engines(configuration, real_raw_csv)
    _, _, local_report = local_features(
        real_raw_csv, RUN_DATE, configuration["parameters"]["validation"]
    )
    dated = pd.read_parquet(
        stand_in / "features" / f"cripto_features_{RUN_DATE}.parquet"
    )
    pd.testing.assert_frame_equal(
        comparable(dated, sort=False), comparable(on_glue, sort=False)
    )
    report = json.loads((stand_in / "reports" / "validation_report.json").read_text())
    assert report == json.loads(json.dumps(local_report))


@pytest.mark.spark
@pytest.mark.e2e
def test_s3a_without_hadoop_aws_stops_before_writing_and_names_the_jar(
    tmp_path: Path, seaweedfs: SeaweedS3, real_raw_csv: Path
):
    """The shipped glue configuration on a real bucket: PySpark ships no S3A
    connector, so the job must say which jar is missing and leave the bucket as
    it was (only raw/raw.csv)."""
    bucket = "criptos-glue-s3a"
    prepare_bucket(seaweedfs, bucket, real_raw_csv)
    workdir = tmp_path / "glue-workdir"
    glue.write_conf_archive(CONF, workdir / glue.CONF_ARCHIVE)
    result = _run_glue_script(
        workdir,
        "--bucket",
        bucket,
        "--run_date",
        RUN_DATE,
        env=seaweedfs.aws_environment(),
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output_tail(result)
    assert "MissingS3AConnector" in output, output_tail(result)
    assert f"hadoop-aws-{_hadoop_version()}.jar" in output, output_tail(result)
    assert "software.amazon.awssdk:bundle" in output, output_tail(result)
    assert seaweedfs.list_keys(bucket) == ["raw/raw.csv"]


@pytest.mark.spark
@pytest.mark.e2e
@pytest.mark.slow
def test_the_glue_script_reads_and_writes_s3a_on_seaweedfs(
    tmp_path: Path, seaweedfs: SeaweedS3, real_raw_csv: Path
):
    """The bucket itself: raw/raw.csv read and the Parquet folders written through
    s3a:// (Spark) and s3fs (reports), with the endpoint from AWS_ENDPOINT_URL_S3."""
    jars = [S3A_JARS / name for name in S3A_JAR_NAMES]
    if not all(jar.is_file() for jar in jars):
        pytest.fail(f"no S3A jars in {S3A_JARS}: run `make s3a-jars` (make test does)")
    bucket = "criptos-glue-s3a-run"
    prepare_bucket(seaweedfs, bucket, real_raw_csv)
    spark = {"spark.jars": ",".join(map(str, jars)), **S3A_331_ON_HADOOP_35}
    conf = _conf_copy(tmp_path, spark=spark)
    workdir = tmp_path / "glue-workdir"
    glue.write_conf_archive(conf, workdir / glue.CONF_ARCHIVE)
    aws = seaweedfs.aws_environment()
    result = _run_glue_script(
        workdir, "--bucket", bucket, "--run_date", RUN_DATE, env=aws
    )
    assert result.returncode == 0, output_tail(result)
    # The connector check found the jars (and says they are not Hadoop's version).
    assert "hadoop-aws 3.3.1 runs on Hadoop" in result.stdout + result.stderr
    keys = seaweedfs.list_keys(bucket)
    for folder in (
        "primary/candles.parquet",
        f"features/cripto_features_{RUN_DATE}.parquet",
        "features/cripto_features_latest.parquet",
    ):
        assert f"{folder}/_SUCCESS" in keys, keys
        assert any(key.startswith(f"{folder}/part-") for key in keys), keys
    assert "reports/validation_report.json" in keys
    # Read back from the bucket as training does (s3fs, the same AWS variables).
    with pytest.MonkeyPatch.context() as patch:
        for key, value in aws.items():
            patch.setenv(key, value)
        configuration = config_loader(conf, "glue", bucket=bucket, run_date=RUN_DATE)
        _assert_features_equal_the_local_engines(configuration, real_raw_csv)
