"""The Glue job: the feature engineering on Spark, for volumes beyond one Lambda.

Its script (``deploy/aws/glue/feature_job.py``, kept thin over
``criptos.aws.glue``) is a CDK file asset. The project comes from ``s3://<bucket>/glue/``,
where the README's deploy steps upload it: its wheel, which Glue installs
(``--additional-python-modules``), and ``conf/`` as the archive ``kedro package``
writes (``conf-criptos.tar.gz``), which Glue copies next to the script
(``--extra-files``) for ``criptos.aws.glue`` to read. The job's role touches the
prefixes of the feature stage in the ``glue`` environment's catalog, plus ``glue/``
to read those two files, and its own log groups.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from criptos import __version__
from criptos.aws.access import Access
from criptos.aws.glue import CONF_ARCHIVE
from criptos_cdk.nag import acknowledge, wildcard_resource
from criptos_cdk.permissions import grant_s3

SCRIPT = Path(__file__).resolve().parents[1] / "glue" / "feature_job.py"
GLUE_VERSION = "5.0"
WHEEL_PREFIX = "glue"
WHEEL = f"criptos-{__version__}-py3-none-any.whl"
WORKERS = 2
TIMEOUT_MINUTES = 60
# Spark's output commit on S3 renames its temporary files: a copy, then a delete.
SPARK_COMMIT_ACTIONS = ("s3:DeleteObject",)


def wheel_url(bucket_name: str) -> str:
    """Where the README's step puts the project's wheel for Glue to install."""
    return f"s3://{bucket_name}/{WHEEL_PREFIX}/{WHEEL}"


def conf_archive_url(bucket_name: str) -> str:
    """Where the README's step puts ``conf/`` (``kedro package``'s archive)."""
    return f"s3://{bucket_name}/{WHEEL_PREFIX}/{CONF_ARCHIVE}"


class GlueFeatureJob(Construct):
    """``job``: a ``glueetl`` job of Glue 5.0 running the feature engineering."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bucket_name: str, access: Access
    ) -> None:
        super().__init__(scope, construct_id)
        script = s3_assets.Asset(self, "Script", path=str(SCRIPT))
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="criptos Glue feature job: the feature prefixes and its logs",
        )
        grant_s3(
            role,
            bucket_name,
            Access(
                read=tuple(sorted({*access.read, WHEEL_PREFIX})),
                write=access.write,
                list=tuple(sorted({*access.list, WHEEL_PREFIX})),
            ),
            extra_write_actions=SPARK_COMMIT_ACTIONS,
        )
        # The script only: the one object of the CDK assets bucket the job reads.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadScript",
                actions=["s3:GetObject"],
                resources=[script.bucket.arn_for_objects(script.s3_object_key)],
            )
        )
        log_groups = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws-glue/*"
        role.add_to_policy(
            iam.PolicyStatement(
                sid="GlueLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
                resources=[log_groups],
            )
        )
        acknowledge(
            role,
            wildcard_resource(
                "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/*"
            ),
            "Glue names its job log groups itself (/aws-glue/jobs/output, /error, "
            "/logs-v2): the role may write under /aws-glue/ only, instead of the "
            "managed AWSGlueServiceRole's broader grants.",
        )
        self.job = glue.CfnJob(
            self,
            "Job",
            description="criptos feature engineering on Spark (the spark environment)",
            role=role.role_arn,
            glue_version=GLUE_VERSION,
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=script.s3_object_url
            ),
            default_arguments={
                "--bucket": bucket_name,
                "--additional-python-modules": wheel_url(bucket_name),
                "--extra-files": conf_archive_url(bucket_name),
                "--enable-continuous-cloudwatch-log": "true",
                "--job-language": "python",
            },
            worker_type="G.1X",
            number_of_workers=WORKERS,
            timeout=TIMEOUT_MINUTES,
            max_retries=0,
            execution_property=glue.CfnJob.ExecutionPropertyProperty(
                max_concurrent_runs=1
            ),
        )
        acknowledge(
            self.job,
            "AwsSolutions-GL1",
            "CloudWatch log encryption needs a customer-managed KMS key (billed "
            "monthly); the job logs run progress and row counts, no secret or data.",
        )
        acknowledge(
            self.job,
            "AwsSolutions-GL3",
            "Job bookmarks are not used (each run recomputes from the stored history), "
            "so there is nothing for bookmark encryption to protect.",
        )


def glue_script_exists() -> bool:
    """Whether the Glue entry script is in the tree (the job is created only then)."""
    return SCRIPT.is_file()
