"""criptos.aws.access: each piece's bucket prefixes, from the pipelines and the catalog.

The IAM policies of the CDK app are built from these, so they are checked here
against what the project is known to do (the feature job never writes models/, the
API writes nothing) and against catalogs made to break the derivation.
"""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from criptos.aws.access import (
    Access,
    BucketLayout,
    api_access,
    bucket_layout,
    isolated_resolvers,
    pipelines_access,
    s3_urls,
    stage_access,
)
from criptos.aws.stages import STAGES, Stage, stage_of_handler

ROOTS = {"raw": "raw", "reports": "reports", "features": "features", "models": "models"}


def test_the_s3_layout_is_the_globals_roots_in_the_default_bucket() -> None:
    layout = bucket_layout()
    assert layout.bucket == "criptos-data"
    assert set(layout.roots.values()) == {
        "raw",
        "reports",
        "primary",
        "features",
        "artifacts",
        "models",
    }


def test_the_bucket_run_parameter_moves_every_root() -> None:
    layout = bucket_layout(bucket="another-bucket")
    assert layout.bucket == "another-bucket"
    assert stage_access(stage_of_handler("export"), layout).write == ("models",)


def test_the_feature_job_reads_raw_and_never_writes_models_or_raw() -> None:
    access = stage_access(stage_of_handler("feature_job"))
    assert "raw" in access.read
    assert set(access.write) == {"features", "primary", "reports"}


def test_training_writes_versioned_artifacts_of_each_model_namespace() -> None:
    # {model}_model is a dataset factory, versioned, one per training namespace.
    access = stage_access(stage_of_handler("train"))
    assert "features" in access.read
    assert set(access.write) == {"artifacts", "reports"}


def test_export_publishes_models_only() -> None:
    access = stage_access(stage_of_handler("export"))
    assert access.write == ("models",)
    assert {"artifacts", "reports"} <= set(access.read)


def test_the_api_reads_models_and_features_and_writes_nothing() -> None:
    assert api_access() == Access(
        read=("features", "models"), write=(), list=("features", "models")
    )


@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.handler)
def test_what_is_written_is_readable_and_listable(stage: Stage) -> None:
    access = stage_access(stage)
    assert set(access.write) <= set(access.read) == set(access.list)


def test_the_glue_environment_touches_what_the_lambda_feature_job_does() -> None:
    feature = stage_of_handler("feature_job")
    assert stage_access(feature, bucket_layout("glue")) == stage_access(feature)


def layout_with(catalog: dict) -> BucketLayout:
    return BucketLayout(bucket="b", roots=ROOTS, catalog=catalog)


def test_parameters_and_memory_datasets_touch_nothing() -> None:
    layout = layout_with({"table": {"type": "MemoryDataset"}})
    assert (
        layout.dataset_prefixes(["params:x", "parameters", "table", "unnamed"]) == set()
    )


def test_nested_and_factory_locations_map_to_their_roots() -> None:
    layout = layout_with(
        {
            "cached": {
                "type": "CachedDataset",
                "dataset": {"type": "x", "filepath": "s3://b/raw/raw.csv"},
            },
            "run": {"type": "y", "members": {"m": "s3://b/reports/m.json"}},
            "{name}_model": {"type": "z", "filepath": "s3://b/models/{name}.joblib"},
            "t@pandas": {"type": "w", "filepath": "s3://b/features/t.parquet"},
        }
    )
    assert layout.dataset_prefixes(["cached"]) == {"raw"}
    assert layout.dataset_prefixes(["run"]) == {"reports"}
    assert layout.dataset_prefixes(["ns_model"]) == {"models"}
    assert layout.dataset_prefixes(["t@pandas"]) == {"features"}


def test_a_location_under_no_root_or_in_another_bucket_is_refused() -> None:
    layout = layout_with({"stray": {"type": "x", "filepath": "s3://b/elsewhere/x.csv"}})
    with pytest.raises(ValueError, match="none of the bucket roots"):
        layout.dataset_prefixes(["stray"])
    with pytest.raises(ValueError, match="outside the bucket b"):
        layout.prefix_of("s3://other/raw/raw.csv")


def test_the_longest_root_wins() -> None:
    layout = BucketLayout(bucket="b", roots={"a": "data", "b": "data/deep"}, catalog={})
    assert layout.prefix_of("s3://b/data/deep/x") == "data/deep"
    assert layout.prefix_of("s3://b/data/x") == "data"
    with pytest.raises(ValueError, match="none of the bucket roots"):
        layout.prefix_of("s3://b/datafile")  # a sibling key, not under data/


def test_s3_urls_walks_lists_and_ignores_local_paths() -> None:
    config = {
        "a": ["s3://b/raw/x", "data/local.csv"],
        "b": {"c": ("s3://b/y",)},
        "d": 3,
    }
    assert s3_urls(config) == ["s3://b/raw/x", "s3://b/y"]


def test_pipelines_access_unions_the_pipelines_of_one_session() -> None:
    together = pipelines_access(["training", "backtest"])
    assert together == stage_access(stage_of_handler("train"))


def test_reading_the_catalog_leaves_the_process_resolvers_alone() -> None:
    """A running session's ${globals:} stays its own (Kedro's loader replaces it)."""
    with isolated_resolvers():  # the test's own resolver goes away after it
        OmegaConf.register_new_resolver(
            "globals", lambda key: f"mine:{key}", replace=True
        )
        bucket_layout(bucket="resolver-check")  # builds a project loader
        assert OmegaConf.create({"x": "${globals:paths.raw}"}).x == "mine:paths.raw"
