"""Configuration: Kedro's config loader and resolvers, the typed parameters, telemetry.

``loader`` and ``run_date``: the loader with ``${run_param:...}`` and the run date;
``schema``: the base of every parameters model and its error messages;
``parameters``: the whole parameter tree parsed once per run (``ParametersHook``);
``models``: the model names (keys of ``training.models``) the training pipeline is
built from; ``telemetry``: kedro-telemetry switched off for every entry point.
"""
