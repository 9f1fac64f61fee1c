"""Fixtures every sidecar test shares."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _quiet_logging() -> Iterator[None]:
    """The sidecar logs to the stderr it found; CliRunner swaps stderr per call."""
    yield
    logger = logging.getLogger("cdccheck")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
