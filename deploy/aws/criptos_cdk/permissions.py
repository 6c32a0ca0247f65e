"""Least-privilege S3 statements: one piece's prefixes of the data bucket, nothing else.

The prefixes come from ``criptos.aws.access`` (the pipelines and the ``s3``
catalog), never from a list typed here. Three actions only, as the seed asks:

- ``s3:GetObject`` on ``<bucket>/<prefix>/*`` for what is read (HeadObject too),
  and on the key ``<bucket>/<prefix>`` itself: s3fs and S3A ask whether a folder
  path such as ``models`` is an object before they list it, and a 403 there is an
  error, not "no such key";
- ``s3:PutObject`` on ``<bucket>/<prefix>/*`` for what is written. ``CopyObject``
  (the feature store publishes ``_latest`` as a server-side copy) is no IAM action
  of its own: S3 authorizes it as ``s3:GetObject`` on the source plus
  ``s3:PutObject`` on the target, both granted here;
- ``s3:ListBucket`` on the bucket, only with ``s3:prefix`` under those prefixes,
  plus one probe the s3 preflight makes (``criptos.s3.preflight``: a listing of at
  most one key without a prefix, which tells a missing bucket or bad credentials
  from a missing input before the run writes anything).

No ``s3:DeleteObject``: the runs overwrite, they do not delete, except the model
registry's pruning (``export.keep_last``, off by default: with it on, grant
``s3:DeleteObject`` on ``models/*`` to the export function) and the Glue job,
whose Spark output commit renames (copy + delete) under the prefixes it writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from criptos.aws.access import Access
from criptos_cdk.nag import acknowledge, wildcard_resource

# The preflight's probe: ListObjectsV2 with MaxKeys=1 and no prefix.
PROBE_MAX_KEYS = "1"
IAM5_REASON = (
    "S3 permissions are granted on the objects under one prefix of the data bucket "
    "({prefix}/*), the narrowest an object ARN can name for datasets whose keys "
    "carry run dates and versions (criptos.aws.access derives the prefixes)."
)


def bucket_arn(bucket_name: str) -> str:
    """The bucket's ARN, in the stack's partition."""
    return f"arn:{Aws.PARTITION}:s3:::{bucket_name}"


def objects_arn(bucket_name: str, prefix: str) -> str:
    """Every object under ``prefix/`` of the bucket."""
    return f"{bucket_arn(bucket_name)}/{prefix}/*"


def nag_objects_arn(bucket_name: str, prefix: str) -> str:
    """``objects_arn`` as cdk-nag prints it (the partition token by name)."""
    return f"arn:<AWS::Partition>:s3:::{bucket_name}/{prefix}/*"


def s3_statements(
    bucket_name: str, access: Access, extra_write_actions: Sequence[str] = ()
) -> list[iam.PolicyStatement]:
    """The statements granting ``access`` on the bucket (``extra_write_actions``
    on the written prefixes too: the Glue job's ``s3:DeleteObject``)."""
    statements = []
    if access.read:
        statements.append(
            iam.PolicyStatement(
                sid="ReadPrefixes",
                actions=["s3:GetObject"],
                resources=[
                    arn
                    for p in access.read
                    for arn in (
                        f"{bucket_arn(bucket_name)}/{p}",
                        objects_arn(bucket_name, p),
                    )
                ],
            )
        )
    if access.write:
        statements.append(
            iam.PolicyStatement(
                sid="WritePrefixes",
                actions=["s3:PutObject", *extra_write_actions],
                resources=[objects_arn(bucket_name, p) for p in access.write],
            )
        )
    if access.list:
        patterns = sorted({f(p) for p in access.list for f in (str, "{}/*".format)})
        statements.append(
            iam.PolicyStatement(
                sid="ListPrefixes",
                actions=["s3:ListBucket"],
                resources=[bucket_arn(bucket_name)],
                conditions={"StringLike": {"s3:prefix": patterns}},
            )
        )
        statements.append(
            iam.PolicyStatement(
                sid="ProbeBucket",
                actions=["s3:ListBucket"],
                resources=[bucket_arn(bucket_name)],
                conditions={
                    "StringEqualsIfExists": {"s3:prefix": ""},
                    "NumericLessThanEquals": {"s3:max-keys": PROBE_MAX_KEYS},
                },
            )
        )
    return statements


def grant_s3(
    role: iam.Role,
    bucket_name: str,
    access: Access,
    extra_write_actions: Sequence[str] = (),
) -> None:
    """Add ``access``'s statements to ``role`` and acknowledge each prefix wildcard."""
    for statement in s3_statements(bucket_name, access, extra_write_actions):
        role.add_to_policy(statement)
    for prefix in sorted({*access.read, *access.write}):
        acknowledge(
            role,
            wildcard_resource(nag_objects_arn(bucket_name, prefix)),
            IAM5_REASON.format(prefix=prefix),
        )
