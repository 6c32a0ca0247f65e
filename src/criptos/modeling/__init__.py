"""Labels, walk-forward folds, model pipelines, metrics and reports of the training pipeline."""
