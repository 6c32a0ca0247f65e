"""Out-of-fold predictions and the evaluation plots built from them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from criptos.modeling.params import MODEL_NAMES
from criptos.modeling.plots import (
    plot_predicted_vs_realized,
    plot_scores_by_asset,
    plot_scores_by_fold,
)
from criptos.pipelines.training.nodes import (
    collect_out_of_fold_predictions,
    evaluate_training_model,
    prepare_training_table,
    report_training_metrics,
    split_walk_forward,
)
from tests.pipelines.training.synthetic import (
    ar1_returns,
    fast_training_params,
    features_from_returns,
)


@pytest.fixture(scope="module")
def evaluated():
    params = fast_training_params(n_splits=3)
    table = prepare_training_table(
        features_from_returns(ar1_returns(300, 2, seed=3), seed=3), params
    )
    folds = split_walk_forward(table, params)
    evaluations = [
        evaluate_training_model(table, folds, params, model_name=name)
        for name in MODEL_NAMES
    ]
    metrics = report_training_metrics(table, folds, params, *evaluations)
    return table, folds, evaluations, metrics


def test_out_of_fold_predictions_cover_every_test_row_once_per_model(evaluated):
    table, folds, evaluations, _ = evaluated
    predictions = collect_out_of_fold_predictions(*evaluations)
    test_rows = sum(len(fold.test_rows) for fold in folds)
    assert predictions.groupby("model").size().to_dict() == dict.fromkeys(
        MODEL_NAMES, test_rows
    )
    assert not predictions.duplicated(["model", "ativo", "data"]).any()
    regression = predictions[predictions["model"] == "regressor_lin"].set_index(
        ["ativo", "data"]
    )
    labels = table.set_index(["ativo", "data"]).loc[regression.index]
    np.testing.assert_array_equal(regression["realized"], labels["retorno_alvo"])
    assert (regression["baseline"] == 0).all()
    probabilities = predictions.loc[
        predictions["task"] == "classification", "predicted"
    ]
    assert probabilities.between(0, 1).all()
    for fold in folds:
        in_fold = predictions[
            (predictions["model"] == "classifier_log")
            & (predictions["fold"] == fold.number)
        ]
        assert in_fold["data"].min() == fold.test_start
        assert in_fold["data"].max() == fold.test_end


@pytest.mark.parametrize("plot", [plot_scores_by_fold, plot_scores_by_asset])
def test_score_plots_draw_model_and_baseline_for_every_model(evaluated, plot):
    *_, metrics = evaluated
    figure = plot(metrics)
    assert isinstance(figure, Figure)
    titled = [axes.get_title() for axes in figure.axes]
    for name in MODEL_NAMES:
        assert any(title.startswith(name) for title in titled)
    bars_per_axes = {len(axes.patches) for axes in figure.axes}
    assert min(bars_per_axes) >= 2  # model and baseline, for at least one fold or asset


def test_predicted_vs_realized_has_one_panel_per_model_and_renders(evaluated):
    *_, evaluations, _ = evaluated
    figure = plot_predicted_vs_realized(collect_out_of_fold_predictions(*evaluations))
    assert sorted(axes.get_title() for axes in figure.axes) == sorted(MODEL_NAMES)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    width, height = Image.open(io.BytesIO(buffer.getvalue())).size
    assert width > 500 and height > 200
