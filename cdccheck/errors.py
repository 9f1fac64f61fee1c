"""Operational errors: the run itself cannot go on.

Drift in the data is never an exception: a bad event gets a verdict and its
findings. These exceptions are for the tool's own situation, and each one
carries the exit code the command line turns it into::

    CdccheckError              exit 1 (never raised directly)
     +-- ConfigError           exit 2: bad option, unreadable or invalid schema, remote $ref
     +-- SourceError           exit 3: Redis unreachable, stream missing, corpus unreadable
          +-- SourceInterrupted  exit 3: the source went away part way; says how far we got
          +-- SourceUnavailable  exit 3: Redis is unreachable for now; the sidecar retries
     +-- NothingToCheck        exit 5: the range or the files held no event (under --fail-on)

Messages say what happened, where, and what to do, on one line.
"""

from __future__ import annotations


class CdccheckError(Exception):
    """Base class: an operational failure with a one-line message."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(CdccheckError):
    """A usage or configuration problem: bad option, bad schema, remote $ref."""

    exit_code = 2


class SourceError(CdccheckError):
    """The event source cannot be read: Redis down, stream missing, bad corpus file."""

    exit_code = 3


class NothingToCheck(CdccheckError):
    """The source was read and held no entry: an empty range, an empty corpus.

    Not an error of the source, but a run that checked nothing must not look
    clean: a nightly job pointed at the wrong range would stay green. The
    commands raise it unless ``--fail-on none``.
    """

    exit_code = 5


class SourceInterrupted(SourceError):
    """The source failed part way through; ``last_id`` is the last entry fully checked."""

    def __init__(self, message: str, last_id: str | None) -> None:
        super().__init__(message)
        self.last_id = last_id


class SourceUnavailable(SourceError):
    """Redis cannot be reached right now (connection refused or lost, loading, cluster down).

    One-shot commands stop with exit 3; the sidecar waits and tries again.
    """
