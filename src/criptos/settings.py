"""Project settings: configuration source, loader arguments and custom resolvers."""

import os

from criptos.config.loader import ProjectConfigLoader, run_param_default
from criptos.config.run_date import resolve_run_date
from criptos.hooks import NodeLogHook, ParametersHook, RunTimerHook, S3PreflightHook
from criptos.spark.session import SparkSessionHook

# Another configuration folder can stand in for conf/ without touching the project:
# notebooks, the API and tests honour it just like `kedro run --conf-source`.
CONF_SOURCE = os.environ.get("CRIPTOS_CONF_SOURCE", "conf")

# OmegaConfigLoader plus ${run_param:...}, which globals may use (the s3 bucket).
CONFIG_LOADER_CLASS = ProjectConfigLoader

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"run_date": resolve_run_date, "run_param": run_param_default},
    # conf/<env>/spark.yml: Spark settings of the spark environment (SparkSessionHook).
    "config_patterns": {"spark": ["spark*", "spark*/**"]},
    # An environment's parameters file overrides single keys (conf/local with
    # `training: {horizon: 3}` keeps the rest of base's training section).
    "merge_strategy": {"parameters": "soft"},
}

# Clear messages and an untouched bucket when S3 is unreachable, refuses the
# credentials, lacks the bucket or lacks an input such as raw/raw.csv; the run's
# duration, and one INFO line per node (duration, rows of its DataFrame outputs).
# Parameters parsed once, before any node (ParametersHook).
HOOKS = (
    ParametersHook(),
    S3PreflightHook(),
    SparkSessionHook(),
    RunTimerHook(),
    NodeLogHook(),
)

# Telemetry stays off even where .telemetry is not shipped (a container, a wheel).
DISABLE_HOOKS_FOR_PLUGINS = ("kedro-telemetry",)
