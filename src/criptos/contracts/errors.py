"""The one family of errors that means "your input is wrong", not "the code is broken".

The CLI ends a run that raises one of these with exit status 2 and its message alone
(no traceback unless asked for): each names the file or parameter, the problem and
how to fix it.
"""

from __future__ import annotations


class InputError(ValueError):
    """An input (raw file, stored table, parameter) breaks its contract; nothing was written."""


def find_input_error(
    error: BaseException, kinds: tuple[type[BaseException], ...] = (InputError,)
) -> BaseException | None:
    """The error of ``kinds`` (default ``InputError``) behind ``error``: itself or an
    explicit cause (``raise ... from``).

    Kedro wraps a failed load in ``DatasetError`` (twice: the dataset, then the
    catalog), each ``from`` the original error; implicit contexts (an error raised
    while handling another) are not followed, so a bug stays a bug.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds):
            return current
        seen.add(id(current))
        current = current.__cause__
    return None
