"""User-facing errors: a bad parameter file or bad data, reported as one message, no traceback."""


class WorkbookError(Exception):
    """A mistake in the user's parameters or data; the message says what and how to fix it."""


class ConfigError(WorkbookError):
    """The parameter file is invalid."""


class DataError(WorkbookError):
    """An input data file is invalid."""
