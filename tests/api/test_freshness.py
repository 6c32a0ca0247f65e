"""New features without a new model: the service recomputes and swaps the answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from criptos.api.service import ModelService
from criptos.api.state import AssetNotServed
from tests.api.conftest import FIRST_VERSION, SECOND_VERSION, BundleFactory
from tests.api.test_service import MemorySource, check


def without_last_day(features: pd.DataFrame) -> pd.DataFrame:
    """The table as the feature run of the day before wrote it."""
    return features[features["data"] < features["data"].max()].reset_index(drop=True)


@pytest.fixture
def yesterday(real_features: pd.DataFrame, make_bundle: BundleFactory) -> MemorySource:
    source = MemorySource(without_last_day(real_features))
    source.bundles[FIRST_VERSION] = make_bundle(FIRST_VERSION)
    source.latest = FIRST_VERSION
    return source


def btc_as_of(service: ModelService) -> str:
    return service.answer("BTC").as_of.isoformat()


def test_a_new_feature_table_is_served_with_the_models_in_use(
    yesterday: MemorySource, real_features: pd.DataFrame
) -> None:
    service = ModelService(yesterday, poll_interval=1)
    assert check(service).outcome == "loaded"
    before = service.state
    newest = real_features["data"].max().date().isoformat()
    assert btc_as_of(service) < newest
    assert check(service).outcome == "unchanged" and service.state is before

    yesterday.features, yesterday.features_version = real_features, "features-2"
    result = check(service)
    assert result.outcome == "refreshed" and result.version == FIRST_VERSION
    assert btc_as_of(service) == newest
    assert service.state is not before and service.state.version == FIRST_VERSION
    assert service.state.features.fingerprint == "features-2"
    assert yesterday.loads == [FIRST_VERSION]  # the models were not read again
    assert before.answer("BTC", before.loaded_at.date()).as_of.isoformat() < newest


def test_features_that_break_the_schema_keep_the_old_answers(
    yesterday: MemorySource, real_features: pd.DataFrame
) -> None:
    service = ModelService(yesterday, poll_interval=1)
    check(service)
    before = service.state
    reads = []
    broken = real_features.drop(columns=["rsi_14"])
    yesterday.load_features = lambda: reads.append(1) or broken
    yesterday.features_version = "features-broken"
    result = check(service)
    assert result.outcome == "refused" and service.state is before
    assert service.last_error.stage == "features"
    assert "rsi_14" in service.last_error.message
    assert service.last_error.version == FIRST_VERSION
    for _ in range(3):  # the same broken table is not read on every poll
        assert check(service).outcome == "refused"
    assert len(reads) == 1 and service.last_error.stage == "features"

    yesterday.load_features = lambda: real_features
    yesterday.features_version = "features-fixed"
    assert check(service).outcome == "refreshed"
    assert service.last_error is None
    assert btc_as_of(service) == real_features["data"].max().date().isoformat()


def test_a_new_version_and_new_features_together(
    yesterday: MemorySource, real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    service = ModelService(yesterday, poll_interval=1)
    check(service)
    yesterday.bundles[SECOND_VERSION] = make_bundle(SECOND_VERSION)
    yesterday.latest = SECOND_VERSION
    yesterday.features, yesterday.features_version = real_features, "features-2"
    assert check(service).outcome == "loaded"
    assert service.state.version == SECOND_VERSION
    assert service.state.features.fingerprint == "features-2"
    assert check(service).outcome == "unchanged"


def test_the_reload_error_clears_when_latest_names_the_version_in_use_again(
    yesterday: MemorySource, make_bundle: BundleFactory
) -> None:
    service = ModelService(yesterday, poll_interval=1)
    check(service)
    yesterday.latest = SECOND_VERSION
    yesterday.bundles[SECOND_VERSION] = make_bundle(SECOND_VERSION, horizon_days="one")
    assert check(service).outcome == "refused" and service.last_error is not None
    yesterday.latest = FIRST_VERSION  # the operator rolls latest back
    assert check(service).outcome == "unchanged"
    assert service.last_error is None


def test_age_and_staleness_follow_the_servers_utc_date(
    yesterday: MemorySource, real_features: pd.DataFrame
) -> None:
    as_of = pd.Timestamp(without_last_day(real_features)["data"].max())
    today = [as_of + pd.Timedelta(days=2)]
    service = ModelService(
        yesterday,
        poll_interval=1,
        clock=lambda: datetime.combine(today[0].date(), datetime.min.time(), UTC),
    )
    check(service)
    fresh = service.answer("BTC")
    assert (fresh.age_days, fresh.stale) == (2, False)
    assert b'"age_days":2' in service.body("BTC")
    today[0] = as_of + pd.Timedelta(days=4)  # past the default 3 days
    old = service.answer("BTC")
    assert (old.age_days, old.stale) == (4, True)
    assert b'"age_days":4,"stale":true' in service.body("BTC")


def test_before_any_version_every_question_is_503(real_features: pd.DataFrame) -> None:
    service = ModelService(MemorySource(real_features), poll_interval=1)
    with pytest.raises(AssetNotServed) as refused:
        service.answer("BTC")
    assert refused.value.status == 503


def test_new_features_are_served_while_latest_names_a_refused_version(
    yesterday: MemorySource, real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    service = ModelService(yesterday, poll_interval=1)
    check(service)
    yesterday.bundles[SECOND_VERSION] = make_bundle(SECOND_VERSION, models={})
    yesterday.latest = SECOND_VERSION
    assert check(service).outcome == "refused"
    refused = service.last_error
    assert refused.version == SECOND_VERSION and refused.stage == "manifest"

    yesterday.features, yesterday.features_version = real_features, "features-2"
    assert check(service).outcome == "refreshed"
    assert service.state.version == FIRST_VERSION
    assert btc_as_of(service) == real_features["data"].max().date().isoformat()
    assert service.last_error is refused  # latest still names the refused version
    assert check(service).outcome == "refused"
    assert yesterday.loads == [FIRST_VERSION, SECOND_VERSION]


def test_a_failure_to_look_at_the_features_clears_once_they_can_be_seen(
    yesterday: MemorySource,
) -> None:
    service = ModelService(yesterday, poll_interval=1)
    check(service)
    served = service.state

    def unreachable() -> str:
        raise OSError("/bucket/features: connection reset")

    yesterday.features_fingerprint = unreachable
    assert check(service).outcome == "refused" and service.state is served
    assert service.last_error.stage == "features"
    assert "connection reset" not in service.last_error.message
    yesterday.features_fingerprint = lambda: "features-1"  # the table served
    assert check(service).outcome == "unchanged"
    assert service.last_error is None and service.state is served
