"""The glue environment, the Glue job's arguments, configuration and Spark session.

Fast checks beside the end-to-end runs of test_glue_job.py: the environment is the
spark one's datasets on the s3 one's roots, the conf archive is the one Glue gets,
the script reads Glue's arguments, and a session made before Kedro (as on Glue) is
the one the run uses.
"""

from __future__ import annotations

import importlib.util
import shutil
import tarfile
import types
from pathlib import Path

import pytest
import yaml

from criptos.aws import glue
from tests.aws.test_glue_job import (
    BUCKET,
    CONF,
    GLUE_OWN_ARGUMENTS,
    SCRIPT,
    config_loader,
)
from tests.s3.helpers import RUN_DATE

# --- the glue environment is the spark one on the s3 roots ------------------------


def test_the_glue_catalog_is_the_spark_catalog_entry_for_entry():
    """conf/glue/catalog.yml copies conf/spark/catalog.yml (environments inherit only
    from base): any drift between the two fails here."""
    spark = yaml.safe_load((CONF / "spark" / "catalog.yml").read_text())
    on_glue = yaml.safe_load((CONF / "glue" / "catalog.yml").read_text())
    assert on_glue == spark


def test_the_glue_roots_are_the_s3_roots_of_the_bucket():
    on_glue = config_loader(CONF, "glue", bucket=BUCKET)["globals"]["paths"]
    on_s3 = config_loader(CONF, "s3", bucket=BUCKET)["globals"]["paths"]
    assert on_glue == on_s3
    assert on_glue["raw"] == f"s3://{BUCKET}/raw"


def test_the_spark_datasets_on_the_bucket_are_found_for_the_s3a_check():
    catalog = config_loader(CONF, "glue", bucket=BUCKET, run_date=RUN_DATE)["catalog"]
    assert glue.spark_datasets_on_s3(catalog) == [
        "candles_history",
        "cripto_features_dated",
        "cripto_features_latest@spark",
        "raw_candles",
    ]
    local = config_loader(CONF, "spark", run_date=RUN_DATE)["catalog"]
    assert glue.spark_datasets_on_s3(local) == []


def test_s3a_reaches_an_s3_compatible_endpoint_from_the_aws_variables():
    environ = {
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:8333",
        "AWS_ENDPOINT_URL": "https://elsewhere.example",
        "AWS_DEFAULT_REGION": "sa-east-1",
    }
    assert glue.s3a_settings(environ) == {
        "fs.s3a.endpoint": "http://127.0.0.1:8333",
        "fs.s3a.endpoint.region": "sa-east-1",
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false",
    }
    tls = glue.s3a_settings({"AWS_ENDPOINT_URL": "https://s3.example:9000"})
    assert tls["fs.s3a.connection.ssl.enabled"] == "true"
    assert tls["fs.s3a.endpoint.region"] == "us-east-1"
    # On AWS (no endpoint variable) S3A keeps its defaults and the job's role.
    assert glue.s3a_settings({"AWS_REGION": "us-east-1"}) == {}


# --- where Glue finds the project ----------------------------------------------


def test_the_conf_archive_is_kedro_packages_without_local_settings(tmp_path: Path):
    conf = tmp_path / "conf"
    shutil.copytree(CONF, conf, ignore=shutil.ignore_patterns("local"))
    (conf / "local").mkdir()
    (conf / "local" / "credentials.yml").write_text("secret: x\n")
    archive = glue.write_conf_archive(conf, tmp_path / "dist" / glue.CONF_ARCHIVE)
    loader = config_loader(archive, "glue", bucket=BUCKET)
    assert loader["globals"]["paths"]["features"] == f"s3://{BUCKET}/features"
    assert loader["spark"]["spark.sql.session.timeZone"] == "UTC"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "conf/glue/catalog.yml" in names
    assert not [
        name
        for name in names
        if name.startswith("conf/local/") and name.endswith(".yml")
    ]


def test_the_job_names_the_missing_configuration(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=glue.CONF_ARCHIVE):
        glue.locate_project(tmp_path, None, {})
    with pytest.raises(FileNotFoundError, match="--conf_source"):
        glue.locate_project(tmp_path, str(tmp_path / "nowhere.tar.gz"), {})
    (tmp_path / glue.CONF_ARCHIVE).write_bytes(b"")
    assert glue.locate_project(tmp_path, None, {}) == (
        tmp_path.resolve(),
        str(tmp_path.resolve() / glue.CONF_ARCHIVE),
    )


def test_the_script_reads_glues_arguments_and_ignores_glues_own():
    spec = importlib.util.spec_from_file_location("glue_feature_job", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    argv = [str(SCRIPT), "--JOB_NAME", "j", *GLUE_OWN_ARGUMENTS, "--bucket", BUCKET]
    assert script.job_arguments(argv) == {
        "JOB_NAME": "j",
        "bucket": BUCKET,
        "run_date": None,
        "conf_source": None,
    }
    dated = script.job_arguments([*argv, "--run_date", RUN_DATE])
    assert dated["run_date"] == RUN_DATE
    with pytest.raises(SystemExit):
        script.job_arguments([str(SCRIPT), "--JOB_NAME", "j"])


# --- the session Glue made first is the one the run uses ---------------------------


@pytest.mark.spark
def test_an_active_session_is_reused_with_the_glue_sql_settings():
    """As on Glue: a session exists before Kedro starts; the hook keeps it (master,
    memory) and applies the SQL settings of conf/glue/spark.yml."""
    from pyspark.sql import SparkSession  # noqa: PLC0415

    from criptos.spark.session import SparkSessionHook  # noqa: PLC0415

    started_here = SparkSession.getActiveSession() is None
    session = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    before = {
        key: session.conf.get(key, None)
        for key in ("spark.sql.session.timeZone", "spark.sql.shuffle.partitions")
    }
    try:
        session.conf.set("spark.sql.session.timeZone", "America/Sao_Paulo")
        session.conf.set("spark.sql.shuffle.partitions", "3")
        master = session.sparkContext.master
        context = types.SimpleNamespace(config_loader=config_loader(CONF, "glue"))
        SparkSessionHook().after_context_created(context)
        assert SparkSession.getActiveSession() is session
        assert session.sparkContext.master == master
        assert session.conf.get("spark.sql.session.timeZone") == "UTC"
        assert session.conf.get("spark.sql.shuffle.partitions") == "8"
    finally:
        for key, value in before.items():
            if value is None:
                session.conf.unset(key)
            else:
                session.conf.set(key, value)
        if started_here:
            session.stop()
