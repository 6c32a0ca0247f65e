"""Project settings: configuration loader arguments and custom resolvers."""

from criptos.run_date import resolve_run_date

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"run_date": resolve_run_date},
}
