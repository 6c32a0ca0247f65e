"""Signed bundles (issue 13): HMAC over the manifest, checked before any unpickling.

Pure functions of ``criptos.contracts.model_bundle``, then a real ``ModelRegistryDataset`` in
``tmp_path`` (and one on SeaweedFS) with small fitted sklearn models, then
``verify-bundle`` through a subprocess. The tampering tests plant a pickle whose
``__reduce__`` writes a marker file: its absence after a refused load proves that
nothing was unpickled, and its presence after the same load without the key proves
that the test would notice if it were.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.pipeline import Pipeline

from criptos.contracts.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    SIGNING_KEY_ENV,
    ModelBundle,
    SignatureError,
    canonical_manifest_bytes,
    check_manifest,
    sign_manifest,
    signing_key_from_env,
    verify_manifest,
)
from criptos.datasets import ModelRegistryDataset
from criptos.registry import BundleSignatureError, ModelRegistryError
from tests.kedro_project import PROJECT_ROOT, KedroProject, cli_environment
from tests.pipelines.export.small_models import (
    feature_frame,
    fit_small_models,
    small_bundle,
)
from tests.s3_server import SeaweedS3

KEY = "correct horse battery staple, 32+ bytes of secret"
OTHER_KEY = "someone else's key"
PREFIX = "criptos: error: "


@pytest.fixture(scope="module")
def small_models() -> dict[str, Pipeline]:
    return fit_small_models()


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    return KEY


@pytest.fixture
def without_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SIGNING_KEY_ENV, raising=False)


def expected_signature(manifest: dict, key: str) -> str:
    """The signature as the issue specifies it, computed independently of the code."""
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    canonical = json.dumps(
        unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    return hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest()


# --- the pure functions ---------------------------------------------------------


def a_manifest(small_models) -> dict:
    """A complete manifest with file names and sha256, as the registry writes it."""
    manifest = json.loads(json.dumps(small_bundle(small_models).manifest))
    for name, entry in manifest["models"].items():
        entry.update(file=f"{name}.joblib", sha256="ab" * 32)
    return manifest


def test_canonical_bytes_ignore_key_order_whitespace_and_the_signature(small_models):
    manifest = a_manifest(small_models)
    reordered = json.loads(json.dumps(dict(reversed(manifest.items())), indent=4))
    signed = {**manifest, "signature": {"algorithm": "hmac-sha256", "value": "0" * 64}}
    assert canonical_manifest_bytes(manifest) == canonical_manifest_bytes(reordered)
    assert canonical_manifest_bytes(signed) == canonical_manifest_bytes(manifest)
    assert b" " not in canonical_manifest_bytes({"a": [1, 2], "b": {"c": None}})
    assert canonical_manifest_bytes({"nome": "ação"}) == '{"nome":"ação"}'.encode()


def test_sign_then_verify(small_models):
    manifest = a_manifest(small_models)
    signed = sign_manifest(manifest, KEY.encode())
    assert signed["signature"] == {
        "algorithm": "hmac-sha256",
        "value": expected_signature(manifest, KEY),
    }
    assert "signature" not in manifest  # a copy, the input is unchanged
    verify_manifest(signed, KEY.encode())
    verify_manifest(json.loads(json.dumps(signed, indent=2)), KEY.encode())
    check_manifest(signed)
    resigned = sign_manifest(signed, OTHER_KEY.encode())
    assert resigned["signature"]["value"] == expected_signature(manifest, OTHER_KEY)


def test_verify_names_the_reason(small_models):
    signed = sign_manifest(a_manifest(small_models), KEY.encode())
    unsigned = {k: v for k, v in signed.items() if k != "signature"}
    with pytest.raises(SignatureError) as caught:
        verify_manifest(unsigned, KEY.encode())
    assert caught.value.reason == "unsigned"
    with pytest.raises(SignatureError, match="^signature does not match$"):
        verify_manifest(signed, OTHER_KEY.encode())
    changed = json.loads(json.dumps(signed))
    changed["models"]["regressor_lin"]["sha256"] = "cd" * 32
    with pytest.raises(SignatureError, match="signature does not match"):
        verify_manifest(changed, KEY.encode())
    forged = {**signed, "signature": {"algorithm": "none", "value": ""}}
    with pytest.raises(SignatureError, match="signature does not match"):
        verify_manifest(forged, KEY.encode())


@pytest.mark.parametrize(
    "signature",
    [
        "deadbeef",
        {"value": "ab" * 32},
        {"algorithm": "sha256", "value": "ab" * 32},
        {"algorithm": "hmac-sha256", "value": "AB" * 32},
        {"algorithm": "hmac-sha256", "value": "ab" * 31},
        {"algorithm": "hmac-sha256", "value": "ab" * 32, "key_id": "k1"},
        None,
    ],
)
def test_check_manifest_rejects_a_malformed_signature(small_models, signature):
    with pytest.raises(ValueError, match="signature"):
        check_manifest({**a_manifest(small_models), "signature": signature})


def test_the_key_comes_from_the_environment_and_empty_means_unset(
    monkeypatch: pytest.MonkeyPatch,
):
    assert signing_key_from_env({}) is None
    assert signing_key_from_env({SIGNING_KEY_ENV: ""}) is None
    assert signing_key_from_env({SIGNING_KEY_ENV: "ação"}) == "ação".encode()
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    assert signing_key_from_env() == KEY.encode()
    monkeypatch.setenv(SIGNING_KEY_ENV, "")
    assert signing_key_from_env() is None


# --- a local registry -----------------------------------------------------------


def _plant_marker(path: str) -> str:
    """What unpickling the planted file does: leave a trace."""
    Path(path).write_text("unpickled")
    return "planted"


class _Planted:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (_plant_marker, (str(self.marker),))


def plant_pickle(folder: Path, marker: Path, model: str = "regressor_lin") -> None:
    """Replace ``model`` in ``folder`` by a hostile pickle and fix its sha256 in the
    manifest, as anyone who can write the bucket can; the signature stays as it was."""
    payload = pickle.dumps(_Planted(marker))
    (folder / f"{model}.joblib").write_bytes(payload)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["models"][model]["sha256"] = hashlib.sha256(payload).hexdigest()
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))


def publish(root: Path, small_models) -> str:
    """Save the first small bundle to a registry at ``root``; its version name."""
    bundle = small_bundle(small_models)
    ModelRegistryDataset(path=str(root)).save(bundle)
    return bundle.version


def predictions(bundle: ModelBundle) -> dict:
    frame = feature_frame(rows=5, seed=3)
    return {
        name: model.predict(frame).tolist() for name, model in bundle.models.items()
    }


def test_signed_round_trip(tmp_path: Path, small_models, with_key) -> None:
    registry = ModelRegistryDataset(path=str(tmp_path / "models"))
    bundle = small_bundle(small_models)
    registry.save(bundle)

    for folder in (bundle.version, LATEST):
        written = json.loads((tmp_path / "models" / folder / MANIFEST_FILE).read_text())
        assert written["signature"] == {
            "algorithm": "hmac-sha256",
            "value": expected_signature(written, KEY),
        }
    loaded = registry.load()
    assert loaded.version == bundle.version
    assert loaded.manifest["signature"] == written["signature"]
    assert predictions(loaded) == predictions(bundle)
    assert registry.verify_version(bundle.version) == loaded.manifest


def test_without_a_key_nothing_is_signed_and_a_signed_bundle_still_loads(
    tmp_path: Path,
    small_models,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(SIGNING_KEY_ENV, raising=False)
    version = publish(tmp_path / "unsigned", small_models)
    unsigned = ModelRegistryDataset(path=str(tmp_path / "unsigned"))
    assert "signature" not in unsigned.latest_manifest()
    assert unsigned.load().version == version

    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    version = publish(tmp_path / "signed", small_models)
    monkeypatch.delenv(SIGNING_KEY_ENV)
    signed = ModelRegistryDataset(path=str(tmp_path / "signed"))
    with caplog.at_level(logging.DEBUG, logger="criptos.registry"):
        assert signed.load().version == version
    assert f"Model version {version} is signed; signature not verified" in caplog.text


def test_an_unsigned_version_is_refused_when_the_key_is_set(
    tmp_path: Path, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SIGNING_KEY_ENV, raising=False)
    version = publish(tmp_path / "models", small_models)
    registry = ModelRegistryDataset(path=str(tmp_path / "models"))
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    with pytest.raises(BundleSignatureError) as refused:
        registry.load()
    assert refused.value.reason == "unsigned"
    assert f"model version {version} refused: unsigned" in str(refused.value)
    assert isinstance(refused.value, ModelRegistryError)
    with pytest.raises(BundleSignatureError, match="unsigned"):
        registry.verify_version(version)


def test_a_version_signed_with_another_key_is_refused(
    tmp_path: Path, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIGNING_KEY_ENV, OTHER_KEY)
    version = publish(tmp_path / "models", small_models)
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    with pytest.raises(
        BundleSignatureError,
        match=f"model version {version} refused: signature does not match",
    ):
        ModelRegistryDataset(path=str(tmp_path / "models")).load()


def test_a_planted_model_is_refused_before_unpickling_and_loads_without_the_key(
    tmp_path: Path, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    version = publish(tmp_path / "models", small_models)
    registry = ModelRegistryDataset(path=str(tmp_path / "models"))
    marker = tmp_path / "unpickled.marker"
    plant_pickle(tmp_path / "models" / version, marker)

    with pytest.raises(BundleSignatureError, match="signature does not match"):
        registry.load()
    assert not marker.exists()

    monkeypatch.delenv(SIGNING_KEY_ENV)
    registry.verify_version(version)  # sha256 all match; still nothing unpickled
    assert not marker.exists()
    bundle = registry.load()  # what the signature protects against
    assert marker.read_text() == "unpickled"
    assert bundle.models["regressor_lin"] == "planted"


def test_any_change_to_a_signed_manifest_is_refused(
    tmp_path: Path, small_models, with_key
) -> None:
    version = publish(tmp_path / "models", small_models)
    path = tmp_path / "models" / version / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    manifest["horizon_days"] = 7
    path.write_text(json.dumps(manifest))
    with pytest.raises(BundleSignatureError, match="signature does not match"):
        ModelRegistryDataset(path=str(tmp_path / "models")).load()


def test_a_malformed_signature_is_refused_even_without_the_key(
    tmp_path: Path, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    version = publish(tmp_path / "models", small_models)
    path = tmp_path / "models" / version / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    manifest["signature"]["algorithm"] = "md5"
    path.write_text(json.dumps(manifest))
    monkeypatch.delenv(SIGNING_KEY_ENV)
    with pytest.raises(ModelRegistryError, match="signature algorithm 'md5'"):
        ModelRegistryDataset(path=str(tmp_path / "models")).load()


def test_republishing_a_signed_bundle_replaces_its_stale_signature(
    tmp_path: Path, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIGNING_KEY_ENV, OTHER_KEY)
    publish(tmp_path / "source", small_models)
    loaded = ModelRegistryDataset(path=str(tmp_path / "source")).load()
    assert "signature" in loaded.manifest

    monkeypatch.delenv(SIGNING_KEY_ENV)
    unsigned = ModelRegistryDataset(path=str(tmp_path / "unsigned"))
    unsigned.save(loaded)
    assert "signature" not in unsigned.latest_manifest()

    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    resigned = ModelRegistryDataset(path=str(tmp_path / "resigned"))
    resigned.save(loaded)
    assert resigned.load().manifest["signature"]["value"] == expected_signature(
        resigned.latest_manifest(), KEY
    )


# --- a registry on a real S3 server ---------------------------------------------


def test_signed_round_trip_on_s3(
    seaweedfs: SeaweedS3,
    small_models,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    bucket = "signing-tests"
    seaweedfs.create_bucket(bucket)
    registry = ModelRegistryDataset(
        path=f"s3://{bucket}/models",
        credentials={
            "key": seaweedfs.access_key,
            "secret": seaweedfs.secret_key,
            "client_kwargs": {"endpoint_url": seaweedfs.endpoint},
        },
    )
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    bundle = small_bundle(small_models)
    registry.save(bundle)
    loaded = registry.load()
    assert loaded.manifest["signature"]["value"] == expected_signature(
        loaded.manifest, KEY
    )
    assert predictions(loaded) == predictions(bundle)

    marker = tmp_path / "unpickled.marker"
    payload = pickle.dumps(_Planted(marker))
    client = seaweedfs.client()
    folder = f"models/{bundle.version}"
    manifest = json.loads(
        client.get_object(Bucket=bucket, Key=f"{folder}/{MANIFEST_FILE}")["Body"].read()
    )
    manifest["models"]["regressor_lin"]["sha256"] = hashlib.sha256(payload).hexdigest()
    client.put_object(Bucket=bucket, Key=f"{folder}/regressor_lin.joblib", Body=payload)
    client.put_object(
        Bucket=bucket,
        Key=f"{folder}/{MANIFEST_FILE}",
        Body=json.dumps(manifest).encode(),
    )
    with pytest.raises(BundleSignatureError, match="signature does not match"):
        registry.load()
    assert not marker.exists()


# --- verify-bundle in a subprocess ----------------------------------------------


def verify_bundle(
    *args: str, key: str | None, cwd: Path = PROJECT_ROOT
) -> subprocess.CompletedProcess:
    """``criptos verify-bundle <args>`` (the console script) with or without the key."""
    env = cli_environment()
    env.pop(SIGNING_KEY_ENV, None)
    if key is not None:
        env[SIGNING_KEY_ENV] = key
    return subprocess.run(
        [str(Path(sys.executable).with_name("criptos")), "verify-bundle", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ok_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("OK: ")]
    assert len(lines) == 1, result.stdout
    return lines[0]


def error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "OK: " not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith(PREFIX)]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture(scope="module")
def signed_registry(
    tmp_path_factory: pytest.TempPathFactory, small_models
) -> tuple[Path, str]:
    """A registry holding one version signed with KEY, and that version's name."""
    root = tmp_path_factory.mktemp("signed") / "models"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SIGNING_KEY_ENV, KEY)
        version = publish(root, small_models)
    return root, version


@pytest.mark.e2e
def test_verify_bundle_accepts_a_good_signed_registry(
    signed_registry: tuple[Path, str],
) -> None:
    root, version = signed_registry
    assert ok_line(verify_bundle("--registry", str(root), key=KEY)) == (
        f"OK: model version {version} in {root}: manifest valid, "
        "signature verified (hmac-sha256), 5 model files match their sha256 "
        "(nothing unpickled)"
    )
    line = ok_line(
        verify_bundle("--registry", str(root), "--version", version, key=None)
    )
    assert f"signature NOT verified ({SIGNING_KEY_ENV} not set)" in line
    assert error_line(
        verify_bundle("--registry", str(root), "--require-signature", key="")
    ).startswith(f"{PREFIX}--require-signature: {SIGNING_KEY_ENV} is not set")
    assert "signature does not match" in error_line(
        verify_bundle("--registry", str(root), key=OTHER_KEY)
    )


@pytest.mark.e2e
def test_verify_bundle_refuses_a_tampered_registry_without_unpickling(
    tmp_path: Path, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    root = tmp_path / "models"
    version = publish(root, small_models)
    marker = tmp_path / "unpickled.marker"
    plant_pickle(root / version, marker)

    assert error_line(verify_bundle("--registry", str(root), key=KEY)) == (
        f"{PREFIX}model version {version} refused: signature does not match "
        f"(not signed with the key in {SIGNING_KEY_ENV}, or changed since)"
    )
    # Without the key the sha256 all match: the tampering goes unnoticed, which is
    # why the key matters; the command still unpickles nothing.
    assert "signature NOT verified" in ok_line(
        verify_bundle("--registry", str(root), key=None)
    )
    assert not marker.exists()

    (root / version / "classifier_rf.joblib").write_bytes(b"torn")
    assert "classifier_rf.joblib has sha256" in error_line(
        verify_bundle("--registry", str(root), key=None)
    )
    assert "no model version published" in error_line(
        verify_bundle("--registry", str(tmp_path / "empty"), key=None)
    )
    assert "is not a version name" in error_line(
        verify_bundle("--registry", str(root), "--version", "latest", key=None)
    )


@pytest.mark.e2e
def test_verify_bundle_defaults_to_the_catalog_registry(
    tmp_path: Path, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = KedroProject.create(tmp_path / "project")
    monkeypatch.setenv(SIGNING_KEY_ENV, KEY)
    registry = project.path("model_registry")
    publish(registry, small_models)
    result = project.kedro("verify-bundle", env={SIGNING_KEY_ENV: KEY})
    assert f"in {registry}: manifest valid, signature verified" in ok_line(result)
