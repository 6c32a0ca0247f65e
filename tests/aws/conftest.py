"""Fixtures of the AWS tests: the container image, built once per session."""

from __future__ import annotations

import pytest

from tests.aws import podman


def report(config: pytest.Config, line: str) -> None:
    """A line in the test output (the image's size and build times)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


@pytest.fixture(scope="session")
def criptos_image(request: pytest.FixtureRequest) -> podman.Build:
    """The project's image on the locally made base, built once (layers cached)."""
    missing = podman.missing_tools()
    assert not missing, f"the image tests need {missing}: run `make container-tools`"
    base_seconds = podman.ensure_base_image()
    build = podman.build_image()
    report(
        request.config,
        f"\nimage {build.image}: {build.size / 1e6:.0f} MB; base made in "
        f"{base_seconds:.0f} s (0: cached), built in {build.seconds:.0f} s",
    )
    return build
