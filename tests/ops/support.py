"""Helpers for the operations tests: the README's story report, page inspection, tools."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def screenshots_script() -> ModuleType:
    """scripts/screenshots.py as a module: the tests and the README images share its story."""
    path = ROOT / "scripts" / "screenshots.py"
    spec = importlib.util.spec_from_file_location("cdccheck_screenshots", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _story() -> dict[str, Any]:
    report: dict[str, Any] = screenshots_script().story_report()
    return report


def story_report() -> dict[str, Any]:
    """A fresh copy of the six-hour story report (with its timeline)."""
    import copy

    return copy.deepcopy(_story())


def need_tool(path: str, package: str) -> str:
    """The tool at ``path`` (or on PATH); fails under CI=true when absent, else skips."""
    found = path if os.access(path, os.X_OK) else shutil.which(Path(path).name)
    if found is None:
        message = f"{path} is missing (Debian package {package})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI must have it", pytrace=False)
        pytest.skip(message)
    return found


class Page(HTMLParser):
    """Tags, attributes and text of an HTML page, for assertions."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str, css: str | None = None) -> int:
        return sum(
            1
            for name, attrs in self.tags
            if name == tag and (css is None or css in (attrs.get("class") or "").split())
        )


_OUTSIDE = re.compile(r"""(?:src|href|action|data|poster)\s*=\s*["']?\s*(?:https?:|//)""", re.I)


def outside_references(text: str) -> list[str]:
    """Attributes or CSS that would load something from elsewhere."""
    found = [match.group(0) for match in _OUTSIDE.finditer(text)]
    found += re.findall(r"url\(\s*['\"]?\s*(?:https?:|//)[^)]*\)", text, re.I)
    found += re.findall(r"@import", text, re.I)
    return found
