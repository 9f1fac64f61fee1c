"""Real readers that misbehave on purpose, for the CLI's reader tests."""

from __future__ import annotations

import json
import os
import time


def read(payload: bytes) -> None:
    """Hangs on {"hang": true}, kills its process on {"crash": true}, refuses a missing id."""
    value = json.loads(payload)
    if value.get("hang"):
        time.sleep(120)
    if value.get("crash"):
        os._exit(7)
    if "id" not in value:
        raise KeyError("id")


NOT_CALLABLE = 42
