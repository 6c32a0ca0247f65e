"""The image's lock (requirements/image.lock) agrees with pyproject.toml.

The Containerfile installs exactly the lock (``--require-hashes``), so a
requirement added to pyproject.toml but not locked would be missing from the
image, and a tightened range would ship a version the project no longer accepts.
`make lock` remakes the lock; these checks say when it is due. No network: the
requirements' own dependencies come from the metadata of the packages installed
in this venv, where their version is the one locked.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.kedro_project import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements" / "image.lock"
BUILD_LOCK = PROJECT_ROOT / "requirements" / "build.lock"
IMAGE_EXTRAS = ("aws",)
# The image's platform: CPython 3.11 on linux x86_64 (the markers a lock entry obeys).
IMAGE_ENVIRONMENT = {
    **default_environment(),
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "python_version": "3.11",
    "python_full_version": "3.11.2",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


@dataclass
class Pin:
    version: Version
    hashes: list[str] = field(default_factory=list)


def read_lock(path: Path) -> dict[str, Pin]:
    """Canonical name -> pinned version and hashes of a ``--generate-hashes`` lock."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("--hash="):
            assert current is not None, f"hash before any pin in {path}: {line}"
            current.hashes.append(stripped.removeprefix("--hash=").rstrip(" \\"))
            continue
        match = PIN.match(stripped)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        name = canonicalize_name(match["name"])
        assert name not in pins, f"{path.name}: {name} pinned twice"
        current = pins[name] = Pin(Version(match["version"]))
    return pins


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether ``requirement`` is needed on the image's platform with ``extras``."""
    if requirement.marker is None:
        return True
    return any(
        requirement.marker.evaluate({**IMAGE_ENVIRONMENT, "extra": extra})
        for extra in (extras or {""})
    )


def project_requirements() -> list[Requirement]:
    """pyproject's runtime requirements plus the extras the image installs."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    for extra in IMAGE_EXTRAS:
        texts += project["optional-dependencies"][extra]
    return [Requirement(text) for text in texts]


@pytest.fixture(scope="module")
def lock() -> dict[str, Pin]:
    return read_lock(LOCK)


def test_every_project_requirement_is_pinned_within_its_range(
    lock: dict[str, Pin],
) -> None:
    problems = []
    for requirement in project_requirements():
        if not applies(requirement, set()):
            continue
        pin = lock.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{requirement}: the lock pins {pin.version}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


def test_the_locked_packages_bring_all_they_depend_on(lock: dict[str, Pin]) -> None:
    """Walk the dependency graph from pyproject's requirements through the installed
    metadata of every package whose installed version is the locked one."""
    wanted: dict[str, set[str]] = {}
    queue = [(r, "pyproject.toml") for r in project_requirements()]
    problems, checked, read = [], set(), set()
    while queue:
        requirement, needed_by = queue.pop()
        name = canonicalize_name(requirement.name)
        pin = lock.get(name)
        if pin is None:
            problems.append(f"{requirement} (needed by {needed_by}) is not in the lock")
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(
                f"{needed_by} needs {requirement}: the lock pins {pin.version}"
            )
        extras = {canonicalize_name(extra) for extra in requirement.extras}
        if name in checked and extras <= wanted.get(name, set()):
            continue
        wanted.setdefault(name, set()).update(extras)
        checked.add(name)
        try:
            installed = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not in this venv (another version's graph cannot be read)
        if Version(installed.version) != pin.version:
            continue
        read.add(name)
        for text in installed.requires or []:
            dependency = Requirement(text)
            if applies(dependency, wanted[name]):
                queue.append((dependency, f"{name}=={pin.version}"))
    assert not problems, "run `make lock`:\n" + "\n".join(sorted(set(problems)))
    # The walk read real metadata (``make install-dev`` installs what the lock pins,
    # unless a newer release came out since `make lock`).
    assert read, "no locked version is installed here: run `make install-dev`"


def test_every_pin_has_hashes_and_the_project_is_not_in_its_own_lock(
    lock: dict[str, Pin],
) -> None:
    assert "criptos" not in lock
    unhashed = [name for name, pin in lock.items() if not pin.hashes]
    assert not unhashed, f"pins without --hash (pip --require-hashes fails): {unhashed}"
    assert all(
        re.fullmatch(r"sha256:[0-9a-f]{64}", h) for p in lock.values() for h in p.hashes
    )


def test_the_build_lock_pins_the_uv_that_installs_the_image() -> None:
    build = read_lock(BUILD_LOCK)
    assert set(build) == {"uv"}
    assert build["uv"].hashes
