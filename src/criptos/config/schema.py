"""The base of every typed parameters model, and errors that say what to fix.

Each parameters file has one pydantic model (``ValidationParams``,
``FeatureEngineeringParams``, ``TrainingParams``, ...) built on ``ParamsModel``:
unknown keys are refused at every level and values are checked against their
declared type and range. ``parse_params`` turns pydantic's ``ValidationError`` into
one ``ParameterError`` whose lines name the full path (``training.models.x.task``),
the value given, what is allowed and, for a misspelt key, the closest known one::

    feature_engineering.mod: unknown parameter (did you mean feature_engineering.mode?)
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from criptos.contracts.errors import InputError

UNKNOWN_KEY_ERRORS = frozenset({"extra_forbidden", "unexpected_keyword_argument"})

Parsed = TypeVar("Parsed")


class ParameterError(InputError):
    """A parameter is unknown, missing or invalid; the message names each one."""


class ParamsModel(BaseModel):
    """A frozen parameters model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_params(
    model: type[Parsed],
    raw: Any,
    path: str = "",
    error: type[InputError] = ParameterError,
) -> Parsed:
    """``raw`` validated as ``model``; ``error`` lists every problem found.

    ``path`` is where ``raw`` sits in the parameters (``"training"``); an already
    parsed ``model`` instance is returned as it is.
    """
    if isinstance(raw, model):
        return raw
    try:
        return TypeAdapter(model).validate_python({} if raw is None else raw)
    except ValidationError as problems:
        raise error(explain(problems, model, path)) from None


def explain(problems: ValidationError, model: Any, path: str = "") -> str:
    """One line per problem: full path, value, what is allowed, a suggested key."""
    lines = []
    for problem in problems.errors(include_url=False):
        location = [str(part) for part in problem["loc"]]
        full = ".".join(part for part in [path, *location] if part)
        if problem["type"] in UNKNOWN_KEY_ERRORS:
            lines.append(_unknown_key(full, location, model))
        elif problem["type"] == "missing":
            lines.append(f"{full}: required, not given")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            if location:
                lines.append(f"{full} = {problem['input']!r}: {message}")
            else:  # a check of the whole section: its message names the parameters
                lines.append(message)
    count = len(lines)
    heading = "invalid parameter" if count == 1 else f"{count} invalid parameters"
    return f"{heading}:\n  " + "\n  ".join(lines)


def _unknown_key(full: str, location: Sequence[str], model: Any) -> str:
    known = known_keys(model, location[:-1])
    parent = full.rpartition(".")[0]
    close = difflib.get_close_matches(location[-1], known, n=1, cutoff=0.6)
    if close:
        suggestion = f"{parent}.{close[0]}" if parent else close[0]
        return f"{full}: unknown parameter (did you mean {suggestion}?)"
    listed = ", ".join(sorted(known)) or "none"
    return f"{full}: unknown parameter (known here: {listed})"


def known_keys(model: Any, location: Sequence[str]) -> list[str]:
    """The keys a model accepts at ``location`` (a path of field names and mapping keys)."""
    current = model
    for part in location:
        fields = _fields(current)
        if fields is not None:
            if part not in fields:
                return []
            current = fields[part]
        else:
            current = _mapping_value(current)
            if current is None:
                return []
    return sorted(_fields(current) or {})


def _fields(annotation: Any) -> dict[str, Any] | None:
    annotation = _unwrap(annotation)
    fields = getattr(annotation, "__pydantic_fields__", None)
    if isinstance(annotation, type) and isinstance(fields, Mapping):
        return {field.alias or name: field.annotation for name, field in fields.items()}
    return None


def _mapping_value(annotation: Any) -> Any:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        arguments = typing.get_args(annotation)
        return arguments[1] if len(arguments) == 2 else None
    return None


def _unwrap(annotation: Any) -> Any:
    """``X`` of ``Annotated[X, ...]`` and of ``X | None``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation
