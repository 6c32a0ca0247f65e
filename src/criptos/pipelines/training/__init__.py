"""Latest features to the evaluated models (one namespace each), their metrics and the training summary."""
