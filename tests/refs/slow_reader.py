"""Real readers that misbehave, for the guarded runner's tests."""

from __future__ import annotations

import json
import os
import time


def read(payload: bytes) -> None:
    """Hangs on "hang", kills its process on "crash", refuses a missing id."""
    if payload == b"hang":
        time.sleep(60)
    if payload == b"crash":
        os._exit(7)
    value = json.loads(payload)
    if "id" not in value:
        raise KeyError("id")
