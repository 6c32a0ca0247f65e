"""podman for the image tests: a locally made base image, the project's image built once.

Registry images cannot be pulled on the project's machines, so the base is made
from Debian's packages: ``debootstrap --variant=minbase bookworm`` with python3
(3.11), its venv module and the CA certificates, turned into an image by
``podman import``. That takes about a minute, once per machine: the base carries a
label with the hash of its recipe and is reused while the recipe is the same.

Everything runs through ``deploy/container/podman.sh`` (the one place for this
host's flags: runc, no default ulimits) with its own storage under
``CRIPTOS_PODMAN_CACHE`` (default ``/var/tmp/criptos-podman``): the tests neither
see nor touch the machine's images, and the build's layers outlive the session, so
a rebuild with an unchanged lock reuses the dependency layer.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.kedro_project import PROJECT_ROOT

WRAPPER = PROJECT_ROOT / "deploy" / "container" / "podman.sh"
CACHE = Path(os.environ.get("CRIPTOS_PODMAN_CACHE", "/var/tmp/criptos-podman"))
BASE_IMAGE = "localhost/criptos-test-base:latest"
IMAGE = "localhost/criptos-test:latest"
BASE_LABEL = "criptos.test-base.recipe"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
TOOLS = ("podman", "runc", "debootstrap")
CA_IN_BUILD = "/run/ca.crt"


class PodmanError(RuntimeError):
    """A podman (or debootstrap) command failed; the message holds its output."""


def missing_tools() -> list[str]:
    """What the image tests need and this machine lacks (``make container-tools``)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root (rootful podman)")
    return missing


def _run_root() -> Path:
    """podman's run root, one per storage (named like its cache folder): on tmpfs
    (/run) when it can, so that a reboot clears its state."""
    run = Path("/run")
    return run / CACHE.name if os.access(run, os.W_OK) else CACHE / "runroot"


def podman_command(*args: str) -> list[str]:
    """The podman command line with this project's flags and the tests' storage."""
    return [
        str(WRAPPER),
        "--root",
        str(CACHE / "storage"),
        "--runroot",
        str(_run_root()),
        *args,
    ]


def podman(
    *args: str, timeout: float = 600, check: bool = True, input: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``podman ARGS`` (text output); ``PodmanError`` with its output on failure."""
    result = subprocess.run(
        podman_command(*args),
        input=input.decode() if input is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise PodmanError(
            f"podman {' '.join(args[:3])} ... exited {result.returncode}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


@contextmanager
def _machine_lock() -> Iterator[None]:
    """One session at a time makes the base or builds (they share the storage)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def base_recipe() -> str:
    """The hash of what the base is made of: a new recipe makes a new base."""
    recipe = {
        "suite": DEBIAN_SUITE,
        "mirror": DEBIAN_MIRROR,
        "variant": "minbase",
        "packages": sorted(BASE_PACKAGES),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _image_label(image: str, label: str) -> str | None:
    result = podman("image", "inspect", image, check=False, timeout=60)
    if result.returncode != 0:
        return None
    labels = json.loads(result.stdout)[0].get("Labels") or {}
    return labels.get(label)


def ensure_base_image() -> float:
    """Make the Debian base unless the storage has one of this recipe; seconds spent."""
    recipe = base_recipe()
    started = time.monotonic()
    with _machine_lock():
        if _image_label(BASE_IMAGE, BASE_LABEL) == recipe:
            return 0.0
        with tempfile.TemporaryDirectory(dir=CACHE, prefix="rootfs-") as folder:
            rootfs = Path(folder) / "rootfs"
            debootstrap = subprocess.run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={','.join(BASE_PACKAGES)}",
                    DEBIAN_SUITE,
                    str(rootfs),
                    DEBIAN_MIRROR,
                ],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if debootstrap.returncode != 0:
                raise PodmanError(
                    f"debootstrap exited {debootstrap.returncode}:\n"
                    f"{debootstrap.stdout[-3000:]}\n{debootstrap.stderr[-3000:]}"
                )
            # apt's downloaded packages are not part of the base.
            for package in (rootfs / "var" / "cache" / "apt" / "archives").glob(
                "*.deb"
            ):
                package.unlink()
            _import_rootfs(rootfs, recipe)
    return time.monotonic() - started


def _import_rootfs(rootfs: Path, recipe: str) -> None:
    tar = subprocess.Popen(
        ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."],
        stdout=subprocess.PIPE,
    )
    try:
        result = subprocess.run(
            podman_command(
                "import",
                "--change",
                f"LABEL {BASE_LABEL}={recipe}",
                "--change",
                'CMD ["/bin/bash"]',
                "-",
                BASE_IMAGE,
            ),
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        tar.stdout.close()
        tar.wait()
    if result.returncode != 0 or tar.returncode != 0:
        raise PodmanError(f"podman import failed:\n{result.stdout}\n{result.stderr}")


def host_ca_bundle() -> Path | None:
    """The CA bundle this machine's pip trusts (a TLS-intercepting proxy's CA is in
    it, not in the base's bundle), for pip inside the build."""
    for candidate in (
        os.environ.get("PIP_CERT"),
        os.environ.get("SSL_CERT_FILE"),
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    return None


def _ca_args() -> list[str]:
    bundle = host_ca_bundle()
    if bundle is None:
        return []
    return [
        "--volume",
        f"{bundle}:{CA_IN_BUILD}:ro",
        "--build-arg",
        f"CA_BUNDLE={CA_IN_BUILD}",
    ]


@dataclass(frozen=True)
class Build:
    """The built image and what it took."""

    image: str
    seconds: float
    size: int
    log: str


def build_image(image: str = IMAGE, base: str = BASE_IMAGE) -> Build:
    """``podman build`` of the project's Containerfile on ``base`` (cached layers).

    The ``deps`` stage is tagged too (``<image>-deps``): untagged, it would be
    pruned as dangling with the leftovers of earlier builds, and with it the
    cached dependency layer.
    """
    started = time.monotonic()
    name, _, tag = image.rpartition(":")
    common = [
        "build",
        "--network",
        "host",
        "--build-arg",
        f"BASE_IMAGE={base}",
        *_ca_args(),
        "--file",
        str(PROJECT_ROOT / "Containerfile"),
    ]
    with _machine_lock():
        podman(
            *common,
            "--target",
            "deps",
            "--tag",
            f"{name}-deps:{tag}",
            str(PROJECT_ROOT),
            timeout=1500,
        )
        result = podman(*common, "--tag", image, str(PROJECT_ROOT), timeout=1500)
        # Earlier builds' leftovers: the storage stays the size of one build.
        podman("image", "prune", "--force", check=False, timeout=300)
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    return Build(image, time.monotonic() - started, size, result.stdout)


def run_args(
    image: str,
    command: Sequence[str] = (),
    *,
    env: dict[str, str] | None = None,
    name: str | None = None,
    detach: bool = False,
    user: str | None = None,
) -> list[str]:
    """``podman run`` arguments as Lambda runs the image: read-only root, /tmp
    writable, the host's network (SeaweedFS and the runtime API on 127.0.0.1)."""
    args = ["run", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp"]
    if detach:
        args.append("--detach")
    if name:
        args += ["--name", name]
    if user:
        args += ["--user", user]
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    return [*args, image, *command]


def remove_containers(*names: str, grace: int = 5) -> None:
    """Stop (SIGKILL after ``grace`` seconds) and remove the containers still there."""
    if names:
        podman("rm", "--force", "--time", str(grace), *names, check=False, timeout=120)
