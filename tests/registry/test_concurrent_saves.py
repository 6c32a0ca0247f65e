"""Concurrent saves to one local registry (threads, as two processes would): distinct
versions both published, pruning together, one version name saved once."""

from __future__ import annotations

import threading
from pathlib import Path

from criptos.datasets import ModelRegistryDataset
from criptos.registry import ModelRegistryError
from tests.pipelines.export.small_models import small_bundle
from tests.registry.registry_checks import assert_latest_whole, fresh, hidden_entries


def _run_together(*calls) -> list[BaseException | None]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_concurrent_saves_both_publish_distinct_versions(registry, small_models):
    root = Path(registry._store.root)
    bundle = small_bundle(small_models)
    other = ModelRegistryDataset(path=str(root))  # as a second process would
    published = []
    for _ in range(4):
        pair = [fresh(bundle), fresh(bundle)]
        outcomes = _run_together(
            lambda pair=pair: registry.save(pair[0]),
            lambda pair=pair: other.save(pair[1]),
        )
        assert outcomes == [None, None]
        published += [b.version for b in pair]
        assert registry.latest_manifest()["version"] in {b.version for b in pair}
        assert_latest_whole(root)

    assert len(set(published)) == len(published)
    assert sorted(registry.versions()) == sorted(published)
    assert hidden_entries(root) == []


def test_concurrent_saves_that_prune_both_succeed(registry, small_models):
    bundle = small_bundle(small_models)
    other = ModelRegistryDataset(path=registry._store.root)
    for _ in range(4):
        pair = [fresh(bundle, keep_last=2), fresh(bundle, keep_last=2)]
        outcomes = _run_together(
            lambda pair=pair: registry.save(pair[0]),
            lambda pair=pair: other.save(pair[1]),
        )
        assert outcomes == [None, None]
    assert len(registry.versions()) == 2
    assert (
        assert_latest_whole(Path(registry._store.root))["version"]
        in registry.versions()
    )
    assert hidden_entries(Path(registry._store.root)) == []


def test_two_concurrent_saves_of_one_version_publish_it_once(registry, small_models):
    bundle = fresh(small_bundle(small_models))
    other = ModelRegistryDataset(path=registry._store.root)
    outcomes = _run_together(lambda: registry.save(bundle), lambda: other.save(bundle))

    failures = [exc for exc in outcomes if exc is not None]
    assert len(failures) == 1, outcomes
    assert isinstance(failures[0], ModelRegistryError)
    assert "already exists" in str(failures[0])
    assert registry.versions() == [bundle.version]
    assert_latest_whole(Path(registry._store.root))
