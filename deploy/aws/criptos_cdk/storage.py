"""The data bucket (created, or imported by name) and the bucket its logs go to."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from criptos_cdk.nag import acknowledge

# Old object versions of the data bucket (versioning keeps every overwrite of
# features/*_latest and models/latest/) and old logs expire: storage stays bounded.
NONCURRENT_DAYS = 30
LOG_DAYS = 90


class Storage(Construct):
    """``data``: the project's bucket; ``logs``: server access, ALB and VPC flow logs
    (made only when something logs there; not logged itself, which cdk-nag's S1
    accepts of a bucket receiving server access logs and is acknowledged otherwise).

    A created data bucket blocks public access, refuses plain HTTP, keeps object
    versions (an overwritten model or feature table can be restored) with S3-managed
    encryption, logs every access to ``logs`` and sends its events to EventBridge
    (the upload trigger of the feature job). It is retained when the stack is
    deleted: the data outlives the deployment. An imported bucket (context
    ``import_bucket``) is used as it is; its settings are its owner's.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        create: bool,
        logs: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket_name = bucket_name
        self.created = create
        self.logs: s3.IBucket | None = self._log_bucket() if create or logs else None
        if create:
            self.data: s3.IBucket = self._data_bucket(bucket_name)
        else:
            self.data = s3.Bucket.from_bucket_name(self, "Data", bucket_name)
            if self.logs is not None:
                acknowledge(
                    self.logs,
                    "AwsSolutions-S1",
                    "The log bucket itself (load balancer and VPC flow logs): its own "
                    "access logs would need yet another bucket, and so on.",
                )

    def _log_bucket(self) -> s3.Bucket:
        return s3.Bucket(
            self,
            "Logs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(LOG_DAYS))],
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _data_bucket(self, bucket_name: str) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "Data",
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix=f"s3-access/{bucket_name}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS)
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Native CloudFormation (no notification custom resource): the bucket sends
        # "Object Created" events to EventBridge's default bus.
        bucket.node.default_child.add_property_override(
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled",
            True,
        )
        return bucket
