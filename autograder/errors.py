"""The one error type meant for people. The CLI catches it, prints it in one line and exits."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user asked for or supplied, said so that they can fix it."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
