"""Errors that map to the exit codes of interface.md.

0 success; 1 anything unexpected; 2 usage error; 3 bad input data; 4 environment problem.
"""

from __future__ import annotations


class AlvhError(Exception):
    """Base class: carries the process exit code the CLI should use."""

    exit_code = 1


class UsageError(AlvhError):
    """The user asked for something that does not make sense (exit 2)."""

    exit_code = 2


class BadInputError(AlvhError):
    """Input data broke a rule; the message names file, row, column and rule (exit 3)."""

    exit_code = 3


class EnvironmentProblem(AlvhError):
    """The world around us failed: publisher unreachable, warehouse locked, SMTP down (exit 4)."""

    exit_code = 4
