"""Test-only hooks that kill or stall the sidecar at a chosen instant (never in production).

The environment variable ``CDCCHECK_TEST_CRASH_AT=POINT:N`` makes the
process SIGKILL itself the Nth time it reaches POINT: ``mid-batch`` (half
the batch checked), ``before-commit`` (batch checked, not committed) or
``after-commit`` (committed, before the next read). The fault tests use it
to hit each instant deterministically and then show the fleet summary
still counts every event once.

``CDCCHECK_TEST_STALL=SECONDS`` makes the first batch start with ONE call
that holds the interpreter for about that long: a regular expression that
backtracks, as a hostile ``pattern`` would. The tests use it to show that
/healthz still answers while an event is being checked.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time

from cdccheck.errors import ConfigError
from cdccheck.sidecar.logs import warning

__all__ = ["CRASH_ENV", "CRASH_POINTS", "STALL_ENV", "CrashHook", "StallHook"]

CRASH_ENV = "CDCCHECK_TEST_CRASH_AT"
"""The test-only crash hook's environment variable, see the module docstring."""
CRASH_POINTS = ("mid-batch", "before-commit", "after-commit")


class CrashHook:
    """The test-only crash hook (CDCCHECK_TEST_CRASH_AT=POINT:N); inert without a spec.

    Raises ConfigError for a malformed spec.
    """

    def __init__(self, spec: str | None) -> None:
        self.point: str | None = None
        self.countdown = 0
        if not spec:
            return
        point, _, count = spec.partition(":")
        if point not in CRASH_POINTS or not count.isdigit() or int(count) < 1:
            raise ConfigError(
                f"bad {CRASH_ENV}={spec!r}: expected POINT:N with POINT one of "
                f"{', '.join(CRASH_POINTS)} (a test-only hook)"
            )
        self.point, self.countdown = point, int(count)

    def reached(self, point: str) -> bool:
        """Whether this is the Nth time ``point`` is reached (then crash with ``now()``)."""
        if point != self.point:
            return False
        self.countdown -= 1
        return self.countdown == 0

    @staticmethod
    def now() -> None:
        """SIGKILL this process: no finally block, no flush, as a real crash."""
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


STALL_ENV = "CDCCHECK_TEST_STALL"
"""The test-only stall hook's environment variable, see the module docstring."""
STALLED = "test stall: holding the interpreter"
"""Logged when the stall starts (tests wait for it)."""
STALL_OVER = "test stall: over"
# Matching "a" * n + "!" against this pattern takes time doubling with n, in
# one call of the regular expression engine, which never lets go of the
# interpreter meanwhile.
_BACKTRACKING = re.compile(r"^(a+)+b$")
_CALIBRATION = 16


class StallHook:
    """The test-only stall hook (CDCCHECK_TEST_STALL=SECONDS); inert without a value.

    Raises ConfigError for a value that is not a positive number.
    """

    def __init__(self, spec: str | None) -> None:
        self.seconds: float | None = None
        if not spec:
            return
        try:
            seconds = float(spec)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds < 3600:
            raise ConfigError(
                f"bad {STALL_ENV}={spec!r}: expected a number of seconds (a test-only hook)"
            )
        self.seconds = seconds

    def maybe_stall(self) -> None:
        """The first time only: hold the interpreter for about ``seconds`` in one call."""
        if self.seconds is None:
            return
        seconds, self.seconds = self.seconds, None
        started = time.perf_counter()
        _BACKTRACKING.match("a" * _CALIBRATION + "!")
        unit = max(time.perf_counter() - started, 1e-6)
        length = _CALIBRATION
        while unit * 2 ** (length - _CALIBRATION) < seconds:
            length += 1
        warning(STALLED, seconds=seconds, length=length)
        _BACKTRACKING.match("a" * length + "!")
        warning(STALL_OVER)
