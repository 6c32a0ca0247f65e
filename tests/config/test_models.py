"""The models are listed once: a sixth model is one parameters block."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from criptos.config.models import (
    check_trained_models,
    configured_model_names,
    use_run_models,
)
from tests.kedro_project import PROJECT_ROOT, KedroProject

SIXTH = {
    "task": "regression",
    "estimator": "sklearn.ensemble.ExtraTreesRegressor",
    "kwargs": {"n_estimators": 5, "max_depth": 3},
}


@pytest.fixture
def six_models(kedro_project: KedroProject) -> Iterator[KedroProject]:
    """A project whose conf/local adds one model block, nothing else."""
    (kedro_project.conf / "local" / "parameters_training.yml").write_text(
        yaml.safe_dump({"training": {"models": {"regressor_et": SIXTH}}})
    )
    yield kedro_project
    use_run_models(None)  # the session recorded its models: forget them


def test_a_sixth_model_block_adds_its_namespace_dataset_and_export(six_models):
    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(
        project_path=PROJECT_ROOT, conf_source=str(six_models.conf)
    ) as session:
        context = session.load_context()
        names = configured_model_names()
        assert names[-1] == "regressor_et"
        assert len(names) == 6
        training = pipelines["training"]
        node_names = {node.name for node in training.nodes}
        assert {"regressor_et.evaluate_model", "regressor_et.fit_model"} <= node_names
        seal = next(n for n in training.nodes if n.name == "seal_training_run")
        assert "regressor_et_model" in seal.inputs
        described = context.catalog.get("regressor_et_model")._describe()
        assert str(described["filepath"]).endswith("models/regressor_et.joblib")
        assert described["version"] is not None  # versioned like the other five
        spec = context.catalog.load("params:training.models.regressor_et")
        assert (spec.name, spec.task) == ("regressor_et", "regression")
        check_trained_models(context.catalog.load("params:training"), training)


def test_outside_a_session_the_models_come_from_the_project_configuration():
    use_run_models(None)
    shipped = yaml.safe_load(
        (PROJECT_ROOT / "conf" / "base" / "parameters_training.yml").read_text()
    )
    assert configured_model_names() == tuple(shipped["training"]["models"])
