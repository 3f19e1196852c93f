"""The one root of opdesk's errors, and the few kinds a caller tells apart.

Every error a person can act on is an ``OpdeskError`` whose message names the
file, record and field and says what to do. Callers choose what to do by the
error's type, never by its text: the CLI maps the kinds to exit codes
(``NotFound`` and ``InvalidInput`` exit 2, ``Refused`` 1), the app shows any
``OpdeskError`` as a notification and goes on.

The older names (``ConfigError``, ``ActionRefused``, ``BookError``,
``OperatorError`` ...) stay where they were defined, now as kinds of these.
"""

from __future__ import annotations


class OpdeskError(Exception):
    """Something opdesk cannot do; the message says why and what to do about it."""

    title = "Error"


class NotFound(OpdeskError, LookupError):
    """A row, file, operator or code that is not there (the message names it and how to list them)."""

    title = "Not found"


class InvalidInput(OpdeskError):
    """Input that cannot be used: a file, a record, a field, an argument."""

    title = "Bad input"


class ConfigError(InvalidInput):
    """A config file that cannot be used. The message names the file and the key."""

    title = "Config"


class Refused(OpdeskError):
    """The action is not allowed in this state; the message says why and what to do."""

    title = "Refused"


class ConnectorError(OpdeskError):
    """An operator's server, mailbox or folder answered with an error, or could not be reached."""

    title = "Operator"

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


class Unsupported(Refused):
    """A connector asked for something its kind cannot do (a drop folder that cannot be answered)."""

    title = "Not supported"


class StoreError(OpdeskError):
    """The store cannot be opened or used; the message names the file."""

    title = "Store"
