"""The evaluation plots, drawn from a small synthetic market's real training outputs."""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from PIL import Image

from criptos.config.models import configured_model_names
from criptos.modeling.plots import (
    HIT_RATE,
    plot_feature_importance,
    plot_predicted_vs_realized,
    plot_scores_by_asset,
    plot_scores_by_fold,
    plot_verdicts,
    skill_score,
)
from criptos.pipelines.training.nodes import (
    collect_feature_importance,
    collect_predictions,
    evaluate_training_model,
    plan_walk_forward,
    prepare_training_table,
    report_training_metrics,
)
from tests.pipelines.training.synthetic import (
    ar1_returns,
    fast_training_params,
    features_from_returns,
)

ASSETS = ["A00", "A01"]
N_SPLITS = 3
MODEL_NAMES = configured_model_names()
MODELS = sorted(MODEL_NAMES)  # the plots draw the models in name order
GREEN, RED = to_rgba("tab:green"), to_rgba("tab:red")


@pytest.fixture(scope="module")
def evaluated():
    params = fast_training_params(n_splits=N_SPLITS, holdout_days=60)
    features = features_from_returns(ar1_returns(300, len(ASSETS), seed=3), seed=3)
    table = prepare_training_table(features, params)
    plan = plan_walk_forward(table, params)
    evaluations = [
        evaluate_training_model(table, plan, params, model=name) for name in MODEL_NAMES
    ]
    metrics = report_training_metrics(table, plan, params, *evaluations)
    return evaluations, metrics


@pytest.fixture(scope="module")
def metrics(evaluated):
    return evaluated[1]


@pytest.fixture(scope="module")
def predictions(evaluated):
    return collect_predictions(*evaluated[0])


@pytest.fixture(scope="module")
def importance(evaluated):
    return collect_feature_importance(*evaluated[0])


def _rendered(figure: Figure) -> Image.Image:
    """The figure saved as a PNG, as MatplotlibDataset would save it, read back."""
    assert isinstance(figure, Figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    image = Image.open(io.BytesIO(buffer.getvalue()))
    assert image.format == "PNG"
    expected = tuple(round(v) for v in figure.get_size_inches() * figure.dpi)
    assert image.size == expected
    # Something is drawn: far more than the background and one line colour.
    assert len(np.unique(np.asarray(image.convert("L")))) > 20
    return image


def _tick_labels(axes) -> list[str]:
    return [label.get_text() for label in axes.get_yticklabels()]


def _panels(figure: Figure) -> dict[str, tuple]:
    """``{model: (skill axes, hit-rate axes)}`` of a grouped scores figure."""
    axes = figure.axes
    assert len(axes) == 2 * len(MODELS)
    panels = {
        name: (axes[2 * row], axes[2 * row + 1]) for row, name in enumerate(MODELS)
    }
    for name, (skill, hit) in panels.items():
        assert skill.get_title().startswith(f"{name}: "), skill.get_title()
        assert hit.get_title().startswith(f"{name}: "), hit.get_title()
    return panels


def _bar_widths(axes) -> list[float]:
    """Bar lengths from the top of the (inverted) y axis downwards."""
    bars = sorted(axes.patches, key=lambda bar: bar.get_y())
    return [bar.get_width() for bar in bars]


def _same(values, expected) -> None:
    np.testing.assert_allclose(
        np.asarray(values, dtype=float), np.asarray(expected, dtype=float), rtol=1e-9
    )


def test_skill_score_is_the_loss_reduction_in_percent():
    assert skill_score(0.9, 1.0) == pytest.approx(10.0)
    assert skill_score(1.0, 1.0) == 0.0
    assert skill_score(1.5, 1.0) == pytest.approx(-50.0)
    assert skill_score(0.0, 2.0) == 100.0
    for model, baseline in ((None, 1.0), (1.0, None), (None, None), (1.0, 0.0)):
        assert math.isnan(skill_score(model, baseline)), (model, baseline)


def test_scores_by_asset_have_one_tick_per_asset_on_every_model_panel(metrics):
    figure = plot_scores_by_asset(metrics)
    for name, (skill, hit) in _panels(figure).items():
        assert _tick_labels(skill) == ASSETS, name
        assert _tick_labels(hit) == ASSETS, name
        entry = metrics["models"][name]
        verdict = entry["verdict"]
        loss, baseline = verdict["metric"], verdict["baseline"]
        assert skill.get_title() == f"{name}: {loss} vs {baseline}"
        assert hit.get_title() == f"{name}: {HIT_RATE[entry['task']]}"
        per_asset = [entry["by_asset"][asset] for asset in ASSETS]
        expected = [
            skill_score(a["model"][loss], a["baselines"][baseline][loss])
            for a in per_asset
        ]
        _same(_bar_widths(skill), expected)
        for bar, value in zip(
            sorted(skill.patches, key=lambda b: b.get_y()), expected, strict=True
        ):
            assert bar.get_facecolor() == (GREEN if value > 0 else RED)
    _rendered(figure)


def test_scores_by_fold_have_one_tick_per_fold_and_the_fold_hit_rates(metrics):
    figure = plot_scores_by_fold(metrics)
    folds = [f"fold {number}" for number in range(N_SPLITS)]
    for name, (skill, hit) in _panels(figure).items():
        assert _tick_labels(skill) == folds, name
        assert _tick_labels(hit) == folds, name
        entry = metrics["models"][name]
        verdict = entry["verdict"]
        loss, baseline = verdict["metric"], verdict["baseline"]
        baseline_folds = entry["baselines"][baseline]["cv_by_fold"]
        _same(
            _bar_widths(skill),
            [
                skill_score(m[loss], b[loss])
                for m, b in zip(entry["cv_by_fold"], baseline_folds, strict=True)
            ],
        )
        hit_rate = HIT_RATE[entry["task"]]
        model_line, baseline_line = hit.get_lines()[:2]
        assert model_line.get_label() == "model"
        assert baseline_line.get_label() == "baseline"
        _same(model_line.get_xdata(), [f[hit_rate] for f in entry["cv_by_fold"]])
        _same(baseline_line.get_xdata(), [f[hit_rate] for f in baseline_folds])
        _same(model_line.get_ydata(), range(N_SPLITS))
    _rendered(figure)


@pytest.mark.parametrize("plot", [plot_scores_by_fold, plot_scores_by_asset])
def test_hit_rate_axes_fit_the_data_around_one_half(metrics, plot):
    figure = plot(metrics)
    for name, (_, hit) in _panels(figure).items():
        low, high = hit.get_xlim()
        values = np.concatenate([line.get_xdata() for line in hit.get_lines()[:2]])
        values = values[np.isfinite(values)]
        assert len(values) > 0, name
        # Not a 0..1 axis: the points fill it, and the 50 % line is on it.
        assert 0.2 < low < min(values.min(), 0.5), (name, low)
        assert max(values.max(), 0.5) < high < 0.8, (name, high)
        assert high - low < 0.5, name


@pytest.mark.parametrize(
    "plot", [plot_scores_by_fold, plot_scores_by_asset, plot_predicted_vs_realized]
)
def test_grouped_figures_have_one_figure_legend_and_none_inside_the_axes(
    metrics, predictions, plot
):
    figure = plot(predictions if plot is plot_predicted_vs_realized else metrics)
    assert len(figure.legends) == 1
    assert all(axes.get_legend() is None for axes in figure.axes)
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert len(labels) == len(set(labels)) >= 2
    if plot is not plot_predicted_vs_realized:
        assert labels == ["model", "baseline"]


def test_verdicts_have_one_tick_per_model_in_both_samples(metrics):
    figure = plot_verdicts(metrics)
    assert [axes.get_title() for axes in figure.axes] == ["walk-forward", "hold-out"]
    samples = (
        lambda entry: entry["verdict"],
        lambda entry: entry["holdout"]["verdict"],
    )
    for axes, pick in zip(figure.axes, samples, strict=True):
        assert _tick_labels(axes) == MODELS
        verdicts = [pick(metrics["models"][name]) for name in MODELS]
        # One interval per model at its tick: the loss difference in % of the baseline.
        centres = [c.lines[0].get_xydata()[0] for c in axes.containers]
        _same(
            [x for x, _ in centres],
            [100 * v["difference"] / v["baseline_loss"] for v in verdicts],
        )
        _same([y for _, y in centres], range(len(MODELS)))
        assert [text.get_text() for text in axes.texts] == [
            f"p={v['p_value_adjusted']:.2g}{' beats' if v['beats_baseline'] else ''}"
            for v in verdicts
        ]
    _rendered(figure)


def test_a_beating_model_is_green_and_a_missing_hold_out_leaves_its_row_empty(
    metrics,
):
    changed = copy.deepcopy(metrics)
    winner, without_holdout = MODELS[0], MODELS[1]
    changed["models"][winner]["verdict"].update(
        beats_baseline=True, difference=-0.1, ci_low=-0.15, ci_high=-0.05
    )
    changed["models"][without_holdout]["holdout"] = None
    walk_forward, holdout = plot_verdicts(changed).axes
    assert _tick_labels(holdout) == MODELS
    colours = [c.lines[0].get_color() for c in walk_forward.containers]
    assert to_rgba(colours[0]) == GREEN
    assert walk_forward.texts[0].get_text().endswith(" beats")
    centres = [c.lines[0].get_xydata()[0][1] for c in holdout.containers]
    assert centres == [row for row in range(len(MODELS)) if row != 1]
    _rendered(plot_verdicts(changed))


def test_predicted_vs_realized_has_one_panel_per_model(predictions):
    figure = plot_predicted_vs_realized(predictions)
    assert [axes.get_title() for axes in figure.axes] == MODELS
    assert {"walk_forward", "holdout"} == set(predictions["sample"])
    for axes in figure.axes:
        name = axes.get_title()
        curve = axes.get_lines()[0]
        rows = predictions[
            (predictions["model"] == name) & (predictions["sample"] == "walk_forward")
        ]
        if name.startswith("regressor"):
            # Ten deciles of the forecast (ties split in row order): the mean
            # forecast never falls from one decile to the next (tied forecasts split
            # over two deciles may average an ulp apart: rounding, not a fall).
            means = np.asarray(curve.get_xdata())
            assert len(means) == 10
            assert np.all(np.diff(means) >= -1e-12 * np.abs(means).max())
            assert curve.get_xdata()[0] >= rows["predicted"].min()
            assert curve.get_xdata()[-1] <= rows["predicted"].max()
        else:
            assert axes.get_xlabel() == "predicted P(up)"
    _rendered(figure)


@pytest.mark.parametrize("name", [n for n in MODELS if n.startswith("classifier")])
def test_calibration_bins_count_every_walk_forward_forecast(predictions, name):
    figure = plot_predicted_vs_realized(predictions)
    axes = next(a for a in figure.axes if a.get_title() == name)
    counts = [int(text.get_text()) for text in axes.texts]
    walk_forward = predictions[
        (predictions["model"] == name) & (predictions["sample"] == "walk_forward")
    ]
    assert len(counts) == len(axes.get_lines()[0].get_xdata()) >= 1
    assert all(count > 0 for count in counts)
    assert sum(counts) == len(walk_forward)
    holdout = predictions[
        (predictions["model"] == name) & (predictions["sample"] == "holdout")
    ]
    assert len(holdout) > 0  # so the sum above shows the hold-out is left out
    # The calibration axes are square around the points and the diagonal.
    assert axes.get_xlim() == axes.get_ylim()


def test_feature_importance_shows_each_models_top_pooled_features(importance):
    figure = plot_feature_importance(importance)
    assert [axes.get_title() for axes in figure.axes] == MODELS
    pooled = importance[importance["scope"] == "pooled"]
    for axes in figure.axes:
        rows = pooled[pooled["model"] == axes.get_title()]
        top = rows.nlargest(15, "mean")
        assert _tick_labels(axes) == list(top["feature"])
        _same(_bar_widths(axes), top["mean"])
        assert np.all(np.diff(_bar_widths(axes)) <= 0)  # largest at the top
    _rendered(figure)


@pytest.mark.parametrize(
    "empty",
    [
        pd.DataFrame({c: [] for c in ["model", "scope", "feature", "mean", "std"]}),
        "without a hold-out",
    ],
)
def test_feature_importance_without_a_hold_out_says_so(evaluated, empty):
    if isinstance(empty, str):
        no_holdout = [{**e, "feature_importance": None} for e in evaluated[0]]
        empty = collect_feature_importance(*no_holdout)
    assert empty.empty
    figure = plot_feature_importance(empty)
    (axes,) = figure.axes
    assert [text.get_text() for text in axes.texts] == ["no hold-out: no importance"]
    assert not axes.axison
    _rendered(figure)
