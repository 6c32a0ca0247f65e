"""The CDK app: ``python deploy/aws/app.py`` synthesizes the stack into deploy/aws/cdk.out/.

Plain Python over aws-cdk-lib (the ``deploy`` extra; Node.js runs the jsii kernel):
no AWS account, network or ``cdk`` CLI is needed to synthesize, and nothing is
looked up. ``cdk deploy`` from this folder runs the same app (cdk.json), writing
where the CLI says (``CDK_OUTDIR``). Context values: ``criptos_cdk.config``.

Every AwsSolutions rule of cdk-nag is checked at synth: a violation that is not
acknowledged with its reason (``criptos_cdk.nag``) fails the synth with the
report in ``<outdir>/validation-report.json``; the acknowledgments are written into
the template's metadata (``cdk_nag.rules_to_suppress``) for audits.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# jsii warns on every start that Node 20 is past its end of life: a banner, no error.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from aws_cdk import App, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from criptos_cdk.config import AppConfig  # noqa: E402
from criptos_cdk.nag import skip_acknowledgments  # noqa: E402
from criptos_stack import CriptosStack  # noqa: E402

STACK_NAME = "Criptos"
OUTDIR_ENV = "CDK_OUTDIR"  # set by the cdk CLI; the tests point it at a tmp folder
# CDK feature flags, here rather than in cdk.json so that `python app.py` and
# `cdk synth` build the same template: server access logs are delivered under a
# bucket policy, not the legacy LogDeliveryWrite ACL (the log bucket keeps ACLs off).
FEATURE_FLAGS = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}


def build_app(outdir: str | None = None) -> App:
    """The app with the stack and the AwsSolutions checks, not yet synthesized."""
    app = App(
        outdir=outdir or os.environ.get(OUTDIR_ENV) or str(HERE / "cdk.out"),
        context=FEATURE_FLAGS,
    )
    config = AppConfig.from_context(app)
    skip_acknowledgments(not config.nag_acknowledge)
    CriptosStack(app, STACK_NAME, config=config)
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
    )
    return app


def main() -> None:
    """Synthesize; cdk-nag's failures raise, so the exit status says whether it passed."""
    build_app().synth()


if __name__ == "__main__":
    main()
