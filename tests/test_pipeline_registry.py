"""The registered pipelines read well: named, documented nodes; the default run."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from criptos.pipeline_registry import register_pipelines

PIPELINES = register_pipelines()


def test_default_is_features_then_training_then_backtest_then_export():
    default = {node.name for node in PIPELINES["__default__"].nodes}
    for name in ("feature_engineering", "training", "backtest", "export"):
        assert {node.name for node in PIPELINES[name].nodes} <= default
    assert not {node.name for node in PIPELINES["sample_data"].nodes} & default


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_every_node_has_a_readable_name_and_a_docstring(name: str):
    for node in PIPELINES[name].nodes:
        assert node.name and "(" not in node.name and "<" not in node.name, node.name
        doc = inspect.getdoc(node.func)
        assert doc and len(doc.split()) >= 4, f"node {node.name} lacks a docstring"


def test_feature_engineering_alone_does_not_import_training_libraries():
    """``kedro run --pipelines feature_engineering`` skips scikit-learn's start-up."""
    code = (
        "import sys\n"
        "from criptos.pipeline_registry import register_pipelines\n"
        "pipelines = register_pipelines()\n"
        "assert 'training' in pipelines and len(pipelines) == len(list(pipelines))\n"
        "pipelines['feature_engineering']\n"
        "print(sorted(name for name in ('sklearn', 'matplotlib') if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_unknown_pipeline_is_a_key_error():
    with pytest.raises(KeyError):
        register_pipelines()["no_such_pipeline"]


def test_the_default_run_exports_only_after_training_sealed_its_run():
    order = [node.name for node in PIPELINES["__default__"].nodes]
    assert order.index("seal_training_run") < order.index("export_models")
    assert order.index("seal_training_run") > max(
        order.index(name) for name in order if name.endswith(".fit_model")
    )


def test_the_default_run_backtests_before_exporting():
    """The export puts the run's backtest in the manifest: it must exist by then."""
    order = [node.name for node in PIPELINES["__default__"].nodes]
    assert order.index("backtest_strategies") < order.index("export_models")
