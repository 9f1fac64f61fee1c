"""The HTML report in real headless chromium: DOM, no network request, phone width, print.

Debian's chromium at /usr/bin/chromium; under CI=true a missing browser fails
the tests, elsewhere they are skipped with the reason. The screenshots land
in the test's tmp dir; ``python scripts/screenshots.py`` makes the README's.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cdccheck.report.html import render_html
from tests.ops.cdp import browser
from tests.ops.support import Page, need_tool, screenshots_script, story_report

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def chromium() -> str:
    return need_tool("/usr/bin/chromium", "chromium")


@pytest.fixture
def page(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    report = story_report()
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path, report


def command(profile: Path) -> list[str]:
    return list(screenshots_script().chromium_command(profile))


def test_the_dom_has_the_charts_and_the_group_table(
    chromium: str, page: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, report = page
    done = subprocess.run(
        [*command(tmp_path / "profile"), "--dump-dom", path.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-800:]
    dom = Page(done.stdout.decode("utf-8"))
    writers = len(report["by_writer"])
    assert dom.count("svg", "stack") == writers
    assert dom.count("svg", "share") == writers
    assert dom.count("svg", "mini") == len(report["findings"])
    assert dom.count("rect", "c-ok") > 50
    assert dom.count("table", "groups") == 1
    rows = [attrs for tag, attrs in dom.tags if tag == "tr"]
    assert len(rows) >= len(report["findings"])


def test_screenshots_at_desktop_and_phone_width(
    chromium: str, page: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, _ = page
    script = screenshots_script()
    for name, size in (("desktop.png", script.DESKTOP), ("phone.png", script.PHONE)):
        target = tmp_path / name
        script.screenshot(path, target, size)
        data = target.read_bytes()
        assert data.startswith(PNG)
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == size
        assert len(data) > 20_000  # a rendered page, not a blank one


def test_the_page_makes_no_network_request(
    chromium: str, page: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, report = page
    profile = tmp_path / "profile"
    with browser(command(profile), profile) as client:
        client.call("Network.enable")
        client.call("Page.enable")
        client.call("Page.navigate", url=path.as_uri())
        client.wait_for("Page.loadEventFired")
        client.evaluate("new Promise(r => setTimeout(r, 300))")
        urls = [
            event["params"]["request"]["url"]
            for event in client.events
            if event["method"] == "Network.requestWillBeSent"
        ]
        failed = [e for e in client.events if e["method"] == "Network.loadingFailed"]
        # Rendered in full: every chart and every group is in the live DOM.
        assert client.evaluate("document.querySelectorAll('svg.stack').length") == len(
            report["by_writer"]
        )
        assert client.evaluate("document.querySelectorAll('table.groups tbody tr').length") == len(
            report["findings"]
        )
        assert client.evaluate("document.querySelectorAll('svg.stack rect').length") > 100
    assert urls == [path.as_uri()], urls  # the page itself, nothing else
    assert failed == []


def test_the_request_watch_sees_a_request_when_there_is_one(chromium: str, tmp_path: Path) -> None:
    """The control for the test above: a page that loads an image is caught."""
    path = tmp_path / "leaky.html"
    path.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png">', encoding="utf-8")
    profile = tmp_path / "profile"
    with browser(command(profile), profile) as client:
        client.call("Network.enable")
        client.call("Page.enable")
        client.call("Page.navigate", url=path.as_uri())
        client.wait_for("Page.loadEventFired")
        urls = [
            event["params"]["request"]["url"]
            for event in client.events
            if event["method"] == "Network.requestWillBeSent"
        ]
    assert "http://127.0.0.1:9/x.png" in urls


def test_phone_width_scrolls_tables_not_the_page_and_it_prints(
    chromium: str, page: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, _ = page
    profile = tmp_path / "profile"
    with browser(command(profile), profile) as client:
        client.call("Page.enable")
        client.call(
            "Emulation.setDeviceMetricsOverride",
            width=390,
            height=844,
            deviceScaleFactor=1,
            mobile=True,
        )
        client.call("Page.navigate", url=path.as_uri())
        client.wait_for("Page.loadEventFired")
        page_width = client.evaluate("document.documentElement.scrollWidth")
        chart_width = client.evaluate(
            "document.querySelector('svg.stack').getBoundingClientRect().width"
        )
        wide_tables = client.evaluate(
            "[...document.querySelectorAll('.scroll')].filter(b => b.scrollWidth > "
            "b.clientWidth).length"
        )
        shot = client.call("Page.captureScreenshot", format="png")
        (tmp_path / "phone-cdp.png").write_bytes(base64.b64decode(shot["data"]))
        client.call("Emulation.clearDeviceMetricsOverride")
        pdf = client.call("Page.printToPDF", printBackground=True)
        opened = client.evaluate(
            "window.dispatchEvent(new Event('beforeprint')), "
            "[...document.querySelectorAll('details')].every(d => d.open)"
        )
    assert page_width <= 390  # nothing sticks out of the phone's screen
    assert 300 < chart_width <= 390  # the charts use the width they have
    assert wide_tables >= 1  # the wide tables scroll inside their box instead
    document = base64.b64decode(pdf["data"])
    assert document.startswith(b"%PDF")
    assert document.count(b"/Type /Page") + document.count(b"/Type/Page") >= 2
    assert opened is True  # samples are printed, not hidden in closed <details>
    assert (tmp_path / "phone-cdp.png").read_bytes().startswith(PNG)


def test_the_readme_images_script_writes_its_files(chromium: str, tmp_path: Path) -> None:
    script = Path(screenshots_script().__file__)
    out = tmp_path / "images"
    done = subprocess.run(
        [sys.executable, str(script), "--out", str(out)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-800:]
    assert (out / "html-report.png").read_bytes().startswith(PNG)
    assert (out / "html-report-phone.png").read_bytes().startswith(PNG)
    assert (out / "console-timeline.png").read_bytes().startswith(PNG)
    console = (out / "console-timeline.txt").read_text(encoding="utf-8")
    assert "go-comments" in console
    assert "Over time" in console  # the real console renderer's section
    assert "rising since 10:40" in console
    assert not (out / "html-report.html").exists()
