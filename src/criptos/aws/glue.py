"""AWS Glue's feature job: ``kedro run --env glue --pipelines feature_engineering``.

The same code as ``kedro run --env spark --pipelines feature_engineering``: the
``glue`` environment is the ``spark`` environment's datasets (``conf/glue/catalog.yml``,
kept equal to ``conf/spark/catalog.yml`` by the tests) on the ``s3`` environment's
roots (``conf/glue/globals.yml``: ``s3://<bucket>/raw``, ``features``, ...). Spark
reads and writes those roots as ``s3a://`` (kedro-datasets' ``SparkDatasetV2``), the
pandas datasets (quarantine, report) through s3fs, and the s3 preflight checks
bucket, credentials and ``raw/raw.csv`` before the first node, as on Lambda.

The SparkSession. On Glue it is GlueContext's, made here before Kedro starts; the
project's ``SparkSessionHook`` then reuses the active session (keeping Glue's
cluster settings) and applies only the SQL settings of ``conf/glue/spark.yml`` that
the features depend on (UTC time zone, Arrow). Locally (no ``awsglue``) the hook
builds a session from that file, or reuses the one passed as ``spark``.

Where the project lives on Glue. The package is the wheel Glue installs
(``--additional-python-modules``); there is no ``pyproject.toml``, so the package
is configured by name instead of ``bootstrap_project``. ``conf/`` travels as the
archive ``kedro package`` writes, ``conf-criptos.tar.gz`` (``conf/`` without
``local/*.yml``; ``write_conf_archive`` makes the same), given to the job with
``--extra-files`` (Glue copies it into the script's working directory) and read
from there: ``--conf_source`` (else ``CRIPTOS_CONF_SOURCE``, else
``<project>/conf`` when there is one, else ``conf-criptos.tar.gz`` in the working
directory). A project folder (``CRIPTOS_PROJECT_PATH`` with ``pyproject.toml`` and
``conf/``) works as well. Shipping ``conf/`` as package data instead would need a
copy of it inside ``src/`` kept in step with the real one.

S3 outside AWS. ``AWS_ENDPOINT_URL_S3`` (or ``AWS_ENDPOINT_URL``) points S3A at an
S3-compatible store (path-style requests, the scheme's TLS); credentials come from
S3A's default chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/
``AWS_SESSION_TOKEN``, then the instance or job role), never from ``conf/``.
Glue ships the S3A connector; a plain PySpark does not, and a run whose Spark
datasets are on S3 fails first, before Kedro writes anything, with
``MissingS3AConnector`` naming the jars to add (``spark.jars`` or ``--jars``).
"""

from __future__ import annotations

import logging
import os
import re
import tarfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kedro.framework.project import configure_project
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from criptos.aws.stages import stage_of_handler
from criptos.config.run_date import resolve_run_date

logger = logging.getLogger("criptos.aws")

KEDRO_ENV = "glue"
PACKAGE_NAME = "criptos"
PROJECT_PATH_ENV = "CRIPTOS_PROJECT_PATH"
CONF_SOURCE_ENV = "CRIPTOS_CONF_SOURCE"
# What `kedro package` writes (dist/conf-<package>.tar.gz), and what Glue's
# --extra-files copies next to the script.
CONF_ARCHIVE = f"conf-{PACKAGE_NAME}.tar.gz"
S3A_FILESYSTEM = "org.apache.hadoop.fs.s3a.S3AFileSystem"
# hadoop-aws 3.4 and later are built on the AWS SDK for Java v2, earlier ones on v1.
AWS_SDK_V2_CLASS = "software.amazon.awssdk.services.s3.S3Client"
AWS_SDK_V1_CLASS = "com.amazonaws.services.s3.AmazonS3"
S3_SCHEMES = ("s3://", "s3a://")


class MissingS3AConnector(RuntimeError):
    """Spark cannot reach ``s3a://``: the message names the jars to add."""


def run_feature_job(
    bucket: str,
    run_date: str | None = None,
    *,
    project_path: str | Path | None = None,
    conf_source: str | None = None,
    spark: Any = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run the feature stage's pipelines on ``bucket`` in the ``glue`` environment.

    ``spark``: the session to run on (default: GlueContext's on Glue, else the
    active one, else the one the hook builds from ``spark.yml``). Returns the
    stage's result, as the Lambda handlers do: stage, pipeline, bucket, run_date,
    run_id.
    """
    environ = os.environ if environ is None else environ
    if not bucket or not str(bucket).strip():
        raise ValueError("the Glue feature job needs --bucket NAME")
    stage = stage_of_handler("feature_job")
    run_date = resolve_run_date(run_date)
    root, conf = locate_project(project_path, conf_source, environ)
    if spark is None:  # made before Kedro starts: the hook reuses the active session
        spark = glue_spark_session()
    started = time.perf_counter()
    with KedroSession.create(
        project_path=root,
        env=KEDRO_ENV,
        runtime_params={"bucket": bucket, "run_date": run_date},
        conf_source=conf,
    ) as session:
        context = session.load_context()  # the hook starts or reuses the session
        on_s3 = spark_datasets_on_s3(context.config_loader["catalog"])
        if on_s3:
            active = _active_spark_session()
            configure_s3a(active, s3a_settings(environ))
            check_s3a_connector(active, on_s3)
        session.run(pipeline_names=list(stage.pipelines))
        result = {
            "stage": stage.state,
            "pipeline": list(stage.pipelines),
            "bucket": bucket,
            "run_date": run_date,
            "run_id": session.session_id,
        }
    logger.info(
        "criptos glue feature_job %s in %.1f s", result, time.perf_counter() - started
    )
    return result


def locate_project(
    project_path: str | Path | None,
    conf_source: str | None,
    environ: Mapping[str, str],
) -> tuple[Path, str]:
    """The project root and configuration source, with the package configured."""
    root = Path(project_path or environ.get(PROJECT_PATH_ENV) or Path.cwd()).resolve()
    if (root / "pyproject.toml").is_file():
        bootstrap_project(root)
    else:  # Glue: the package is installed from the wheel, conf is an archive
        configure_project(PACKAGE_NAME)
    conf = conf_source or environ.get(CONF_SOURCE_ENV)
    if not conf:
        if (root / "conf").is_dir():
            conf = str(root / "conf")
        elif (root / CONF_ARCHIVE).is_file():
            conf = str(root / CONF_ARCHIVE)
        else:
            raise FileNotFoundError(
                f"no configuration for the Glue job: neither {root / 'conf'} nor "
                f"{root / CONF_ARCHIVE} exists (ship {CONF_ARCHIVE} with --extra-files "
                f"or pass --conf_source)"
            )
    elif not Path(conf).exists() and "://" not in conf:
        raise FileNotFoundError(f"the Glue job's --conf_source {conf} does not exist")
    return root, conf


def glue_spark_session() -> Any:
    """GlueContext's SparkSession when running on Glue (``awsglue`` importable),
    else ``None``."""
    try:
        from awsglue.context import GlueContext  # noqa: PLC0415 (Glue's runtime)
    except ImportError:
        return None
    from pyspark import SparkContext  # noqa: PLC0415

    return GlueContext(SparkContext.getOrCreate()).spark_session


def _active_spark_session() -> Any:
    from pyspark.sql import SparkSession  # noqa: PLC0415

    session = SparkSession.getActiveSession()
    if session is None:
        raise RuntimeError("the glue environment started no Spark session")
    return session


def spark_datasets_on_s3(catalog: Mapping[str, Any]) -> list[str]:
    """The catalog's Spark datasets whose files are on S3 (they need S3A)."""
    return sorted(
        name
        for name, entry in catalog.items()
        if isinstance(entry, Mapping)
        and ".spark" in str(entry.get("type", ""))
        and str(entry.get("filepath", "")).startswith(S3_SCHEMES)
    )


def s3a_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """Hadoop S3A settings for the S3 endpoint of the standard AWS variables.

    Empty on AWS itself (no endpoint variable): S3A's defaults and the job's role.
    """
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return {}
    region = (
        environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    )
    return {
        "fs.s3a.endpoint": endpoint,
        "fs.s3a.endpoint.region": region,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": str(
            urlparse(endpoint).scheme == "https"
        ).lower(),
    }


def configure_s3a(spark: Any, settings: Mapping[str, str]) -> None:
    """Set ``settings`` on the session's Hadoop configuration (before S3A's first use)."""
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in settings.items():
        hadoop.set(key, value)


def check_s3a_connector(spark: Any, datasets: list[str]) -> None:
    """Raise ``MissingS3AConnector`` unless S3A and the AWS SDK it was built on
    load in ``spark``; warn when hadoop-aws is not of Spark's Hadoop version."""
    jvm = spark.sparkContext._jvm
    hadoop = jvm.org.apache.hadoop.util.VersionInfo.getVersion()
    connector = _load(jvm, S3A_FILESYSTEM)
    missing = []
    if connector is None:
        s3a = hadoop
        missing.append(
            f"hadoop-aws-{hadoop}.jar (Maven org.apache.hadoop:hadoop-aws:{hadoop}, "
            f"for the Hadoop {hadoop} of this Spark {spark.version})"
        )
    else:
        s3a = _jar_version(connector) or hadoop
        if s3a != hadoop:
            logger.warning(
                "hadoop-aws %s runs on Hadoop %s: Hadoop supports only equal versions",
                s3a,
                hadoop,
            )
    if _built_on_sdk_v2(s3a):
        if _load(jvm, AWS_SDK_V2_CLASS) is None:
            missing.append(
                f"the AWS SDK for Java v2 bundle hadoop-aws {s3a} depends on (Maven "
                "software.amazon.awssdk:bundle, the version hadoop-aws's POM names)"
            )
    elif _load(jvm, AWS_SDK_V1_CLASS) is None:
        missing.append(
            f"the AWS SDK for Java v1 bundle hadoop-aws {s3a} depends on (Maven "
            "com.amazonaws:aws-java-sdk-bundle, the version hadoop-aws's POM names)"
        )
    if missing:
        raise MissingS3AConnector(
            f"Spark cannot read or write s3a:// ({', '.join(datasets)} are on S3): "
            f"missing on its classpath: {'; '.join(missing)}. Add them with "
            "spark.jars (conf/glue/spark.yml) or --jars; AWS Glue ships them."
        )


def _load(jvm: Any, class_name: str) -> Any:
    """``class_name`` loaded where Spark's readers look for it (else ``None``): the
    calling thread's context class loader, which holds ``spark.jars`` and ``--jars``
    (Hadoop's configuration loader sees only the JVM's own classpath)."""
    from py4j.protocol import Py4JJavaError  # noqa: PLC0415

    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    try:
        return loader.loadClass(class_name)
    except Py4JJavaError:
        return None


def _jar_version(java_class: Any) -> str | None:
    """The version in the name of the jar ``java_class`` came from (hadoop-aws-V.jar)."""
    source = java_class.getProtectionDomain().getCodeSource()
    name = str(source.getLocation().getPath()) if source is not None else ""
    match = re.search(r"hadoop-aws-(\d[^/]*)\.jar$", name)
    return match[1] if match else None


def _built_on_sdk_v2(s3a_version: str) -> bool:
    """hadoop-aws 3.4 and later use the AWS SDK v2 (an unreadable version: v2)."""
    match = re.match(r"(\d+)\.(\d+)", s3a_version)
    return match is None or (int(match[1]), int(match[2])) >= (3, 4)


def write_conf_archive(conf_dir: str | Path, target: str | Path) -> Path:
    """``conf_dir`` as ``kedro package`` archives it: a ``conf/`` folder in a
    ``.tar.gz``, without ``local/*.yml`` (machine-local settings and credentials)."""
    conf_dir, target = Path(conf_dir), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)

    def keep(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(member.name).parts
        local_yaml = (
            len(parts) == 3 and parts[1] == "local" and parts[2].endswith(".yml")
        )
        return None if local_yaml else member

    with tarfile.open(target, "w:gz") as archive:
        archive.add(conf_dir, arcname="conf", filter=keep)
    return target
