"""Makes the project runnable as ``criptos`` and ``python -m criptos``.

``criptos [run options]`` is ``kedro run`` (see ``criptos.cli``);
``criptos verify-bundle [options]`` checks a published model version;
``criptos predict ATIVO [--json]`` prints the API's answer for one asset;
``criptos deploy asl`` prints the Step Functions definition of the daily run.
"""

import sys
from pathlib import Path
from typing import Any

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project


def main(*args: Any, **kwargs: Any) -> Any:
    package_name = Path(__file__).parent.name
    configure_project(package_name)
    kwargs["standalone_mode"] = not hasattr(sys, "ps1")
    arguments = list(args[0]) if args else sys.argv[1:]
    if arguments[:1] == ["verify-bundle"]:
        from criptos.cli import verify_bundle  # noqa: PLC0415 (only this command)

        return verify_bundle(arguments[1:], prog_name="criptos verify-bundle", **kwargs)
    if arguments[:1] == ["predict"]:
        from criptos.api.predict_command import predict  # noqa: PLC0415

        return predict(arguments[1:], prog_name="criptos predict", **kwargs)
    if arguments[:1] == ["deploy"]:
        from criptos.aws.deploy_command import deploy  # noqa: PLC0415

        return deploy(arguments[1:], prog_name="criptos deploy", **kwargs)
    run = find_run_command(package_name)
    return run(*args, **kwargs)


if __name__ == "__main__":
    main()
