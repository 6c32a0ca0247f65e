"""The one family of errors that means "your input is wrong", not "the code is broken".

The CLI ends a run that raises one of these with exit status 2 and its message alone
(no traceback unless asked for): each names the file or parameter, the problem and
how to fix it.
"""

from __future__ import annotations


class InputError(ValueError):
    """An input (raw file, stored table, parameter) breaks its contract; nothing was written."""
