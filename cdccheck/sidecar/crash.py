"""A test-only hook that kills the sidecar at a chosen instant (never set it in production).

The environment variable ``CDCCHECK_TEST_CRASH_AT=POINT:N`` makes the
process SIGKILL itself the Nth time it reaches POINT: ``mid-batch`` (half
the batch checked), ``before-commit`` (batch checked, not committed) or
``after-commit`` (committed, before the next read). The fault tests use it
to hit each instant deterministically and then show the fleet summary
still counts every event once.
"""

from __future__ import annotations

import os
import signal
import sys

from cdccheck.errors import ConfigError

__all__ = ["CRASH_ENV", "CRASH_POINTS", "CrashHook"]

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
