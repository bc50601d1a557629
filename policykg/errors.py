"""Errors shared by every part of policykg."""


class UserError(Exception):
    """An error caused by the user's input; the CLI prints it without a traceback and exits 2."""
