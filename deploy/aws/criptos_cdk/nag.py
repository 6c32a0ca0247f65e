"""cdk-nag acknowledgments, each with its reason (cdk-nag 3: CDK's ``Validations``).

A rule of the AwsSolutions pack that a resource breaks fails the synth
(``ValidationFailed``) unless it is acknowledged here with why it does not apply.
Wildcard findings (``AwsSolutions-IAM5``) are acknowledged one by one, each naming
the exact resource or action (``AwsSolutions-IAM5[Resource::...]``): a new wildcard
still fails the synth.

Context ``nag_acknowledge=false`` skips every acknowledgment (an audit: the synth
then fails listing every finding they cover, which the tests compare with them).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

_skip = False


def skip_acknowledgments(skip: bool) -> None:
    """Whether ``acknowledge`` records nothing (the audit synth)."""
    global _skip  # noqa: PLW0603 (one app per process, set before the stack is built)
    _skip = skip


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge ``rule`` on ``construct`` and its children, for ``reason``."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a reason")
    if _skip:
        return
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def wildcard_resource(resource: str) -> str:
    """The ``AwsSolutions-IAM5`` finding of a wildcard ``resource`` as cdk-nag names it
    (tokens such as the partition rendered as ``<AWS::Partition>``)."""
    return f"AwsSolutions-IAM5[Resource::{resource}]"
