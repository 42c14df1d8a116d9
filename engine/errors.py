"""Errors a user can act on. Their message is one line that says what is wrong and what to do.

The command line prints ``dealproof: <message>`` and exits non-zero; the API maps them to
4xx problem+json responses. Anything else escaping a stage is a bug, not a user error.
"""


class DealproofError(Exception):
    """Base of all errors whose message is meant for the user."""

    exit_code = 1


class InputError(DealproofError):
    """The input file or transcript cannot be used (missing, empty, corrupt, unsupported)."""

    exit_code = 2


class ModelError(DealproofError):
    """A model cannot be found or loaded, or an optional backend is not installed."""

    exit_code = 3


class ConfigError(DealproofError):
    """An option or configuration file is invalid."""

    exit_code = 2
