"""The service with CRIPTOS_REGISTRY_SIGNING_KEY set: badly signed versions never serve.

The real app on the real catalog (``KedroModelSource``) of a throwaway project; the
key is in the environment of this process, as it would be in the service's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from criptos.api import create_app
from criptos.contracts.model_bundle import MANIFEST_FILE, SIGNING_KEY_ENV, sign_manifest
from tests.api.bundles import point_latest, publish_unlisted
from tests.api.conftest import (
    FIRST_VERSION,
    SECOND_VERSION,
    ApiProject,
    BundleFactory,
    wait_for,
)
from tests.api.test_reload import ADMIN, refusal, served_version
from tests.contracts.test_bundle_signing import plant_pickle

KEY = "the service's signing key"
THIRD_VERSION = "20260103T000000Z"


@pytest.fixture
def signed_project(
    monkeypatch: pytest.MonkeyPatch, api_project: ApiProject, make_bundle: BundleFactory
) -> ApiProject:
    """FIRST_VERSION published signed with KEY, which stays set for the service."""
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    api_project.publish(make_bundle(FIRST_VERSION))
    return api_project


@pytest.fixture
def client(signed_project: ApiProject) -> Iterator[TestClient]:
    app = create_app(
        signed_project.settings(admin_token="secret-token", poll_interval=0.1)
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        wait_for(lambda: test_client.get("/ready").status_code == 200)
        assert served_version(test_client) == FIRST_VERSION
        yield test_client


def write_manifest(folder: Path, manifest: dict) -> None:
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))


def test_a_wrongly_signed_newer_version_is_refused_and_the_old_one_serves(
    client: TestClient, signed_project: ApiProject, make_bundle: BundleFactory
) -> None:
    folder = publish_unlisted(signed_project.registry, make_bundle(SECOND_VERSION))
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    write_manifest(folder, sign_manifest(manifest, b"an attacker's key"))
    point_latest(signed_project.registry, SECOND_VERSION)

    error = refusal(client, SECOND_VERSION)  # also: FIRST_VERSION still answers
    assert error["stage"] == "signature"
    assert error["message"] == (
        f"model version {SECOND_VERSION} refused: signature does not match "
        f"(not signed with the key in {SIGNING_KEY_ENV}, or changed since)"
    )
    forced = client.post("/admin/reload", headers=ADMIN).json()
    assert forced["outcome"] == "refused" and forced["model_version"] == FIRST_VERSION

    signed_project.publish(make_bundle(THIRD_VERSION))  # signed with KEY
    wait_for(lambda: served_version(client) == THIRD_VERSION, timeout=10)
    assert client.get("/models").json()["last_reload_error"] is None


def test_an_unsigned_newer_version_is_refused(
    client: TestClient, signed_project: ApiProject, make_bundle: BundleFactory
) -> None:
    folder = publish_unlisted(signed_project.registry, make_bundle(SECOND_VERSION))
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    del manifest["signature"]
    write_manifest(folder, manifest)
    point_latest(signed_project.registry, SECOND_VERSION)

    error = refusal(client, SECOND_VERSION)
    assert error["stage"] == "signature"
    assert error["message"].startswith(
        f"model version {SECOND_VERSION} refused: unsigned"
    )


def test_a_planted_model_is_refused_without_being_unpickled(
    client: TestClient,
    signed_project: ApiProject,
    make_bundle: BundleFactory,
    tmp_path: Path,
) -> None:
    folder = publish_unlisted(signed_project.registry, make_bundle(SECOND_VERSION))
    marker = tmp_path / "unpickled.marker"
    plant_pickle(folder, marker, model="classifier_rf")
    point_latest(signed_project.registry, SECOND_VERSION)

    assert refusal(client, SECOND_VERSION)["stage"] == "signature"
    client.post("/admin/reload", headers=ADMIN)  # a forced retry: refused again
    assert served_version(client) == FIRST_VERSION
    assert not marker.exists()
