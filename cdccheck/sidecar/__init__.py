"""The sidecar wing: ``cdccheck consume`` and the fleet summary it keeps in Redis.

One module per job (see ``docs/sidecar.md`` for the guarantees):

* :mod:`cdccheck.sidecar.loop`: the consume loop (``consume``, ``Sidecar``,
  ``ConsumeOptions``): read, check, commit, report; stop conditions, the
  two-stage signal stop, the final report written in ``finally``;
* :mod:`cdccheck.sidecar.fleet`: the fleet summary in Redis (one atomic
  commit per batch) and the fleet report read back from it;
* :mod:`cdccheck.sidecar.metrics`, :mod:`cdccheck.sidecar.http`,
  :mod:`cdccheck.sidecar.logs`: Prometheus metrics, the /metrics /healthz
  /readyz server (a child process, so a stuck check cannot block it), JSON
  log lines;
* :mod:`cdccheck.sidecar.crash`: the test-only crash and stall hooks.

The names below are imported on first use, so ``cdccheck report`` reaches
the fleet report without loading the loop.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdccheck.sidecar.crash import CRASH_ENV
    from cdccheck.sidecar.fleet import fleet_report
    from cdccheck.sidecar.logs import configure_logging
    from cdccheck.sidecar.loop import ConsumeOptions, ConsumeResult, Sidecar, consume

__all__ = [
    "CRASH_ENV",
    "ConsumeOptions",
    "ConsumeResult",
    "Sidecar",
    "configure_logging",
    "consume",
    "fleet_report",
]

_HOME = {
    "CRASH_ENV": "cdccheck.sidecar.crash",
    "ConsumeOptions": "cdccheck.sidecar.loop",
    "ConsumeResult": "cdccheck.sidecar.loop",
    "Sidecar": "cdccheck.sidecar.loop",
    "configure_logging": "cdccheck.sidecar.logs",
    "consume": "cdccheck.sidecar.loop",
    "fleet_report": "cdccheck.sidecar.fleet",
    # Public names of the old single module, outside its __all__.
    "CRASH_POINTS": "cdccheck.sidecar.crash",
    "QUARANTINE_TEMPLATE": "cdccheck.sidecar.loop",
    "verdict_classes": "cdccheck.sidecar.metrics",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
