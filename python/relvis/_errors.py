"""The exceptions relvis raises: one class per kind of failure, as the command-line tools have
one exit code per kind (see `xai-text --help`). Each is also the built-in exception a caller
would catch for it, so `except FileNotFoundError` catches a missing clip."""


class RelvisError(Exception):
    """Any failure relvis reports; `kind` names it as the worker mode's error records do."""

    kind = "internal"


class InternalError(RelvisError):
    """A fault of relvis itself (exit code 1)."""

    kind = "internal"


class UsageError(RelvisError, ValueError):
    """An argument that makes no sense: an unknown class, rule or method (exit code 2)."""

    kind = "usage"


class MissingInput(RelvisError, FileNotFoundError):
    """An input path is missing or unreadable, or a folder where a file is expected (exit code 3)."""

    kind = "missing_input"


class InvalidInput(RelvisError, ValueError):
    """An input is not what the call needs: empty, binary, not a video, corrupt (exit code 4)."""

    kind = "invalid_input"


class ModelError(RelvisError):
    """A model folder is missing, truncated, of another kind or version (exit code 5)."""

    kind = "model"


class OutputError(RelvisError, OSError):
    """An output exists or cannot be written (exit code 6)."""

    kind = "output"
