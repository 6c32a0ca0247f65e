"""The registered pipelines read well: named, documented nodes; the default run."""

from __future__ import annotations

import inspect

import pytest

from criptos.pipeline_registry import register_pipelines

PIPELINES = register_pipelines()


def test_default_is_features_then_training_then_export():
    default = {node.name for node in PIPELINES["__default__"].nodes}
    for name in ("feature_engineering", "training", "export"):
        assert {node.name for node in PIPELINES[name].nodes} <= default
    assert not {node.name for node in PIPELINES["sample_data"].nodes} & default


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_every_node_has_a_readable_name_and_a_docstring(name: str):
    for node in PIPELINES[name].nodes:
        assert node.name and "(" not in node.name and "<" not in node.name, node.name
        doc = inspect.getdoc(node.func)
        assert doc and len(doc.split()) >= 4, f"node {node.name} lacks a docstring"
