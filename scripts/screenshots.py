"""Screenshots of the HTML report (and a text capture of the console timeline) for the README.

    python scripts/screenshots.py [--out docs/images]

Takes the demo's seeded six-hour stream with a story
(``cdccheck.demo.story_entries``: a Go deploy at 10:42 whose RFC3339Nano
timestamps legacy readers refuse, at a rising share; a short spike of null
award lists; steady Python space-separated datetimes), checks it with the
bundled schemas, renders the report as HTML and photographs it
with headless Debian chromium at desktop and phone width. Nothing here is
drawn by hand: the tests in tests/ops/test_html_browser.py use the same
functions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a clone
    sys.path.insert(0, str(ROOT))

from cdccheck.check import Engine  # noqa: E402
from cdccheck.demo import story_entries  # noqa: E402
from cdccheck.model import Entry  # noqa: E402
from cdccheck.report.html import render_html  # noqa: E402
from cdccheck.report.json import build_report, schema_info  # noqa: E402
from cdccheck.schema import bundled_schema_path, load_schema  # noqa: E402
from cdccheck.summary import Summary  # noqa: E402
from cdccheck.timeline import (  # noqa: E402
    Timeline,
    format_width,
    trend_line,
    writer_sparklines,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
DESKTOP = (1280, 2400)
PHONE = (390, 2400)


def story_report(entries: list[Entry] | None = None, batch: int = 500) -> dict[str, Any]:
    """The check report of the story stream, with its ``timeline`` key."""
    legacy = load_schema(bundled_schema_path("legacy"), name="legacy")
    new = load_schema(bundled_schema_path("new"), name="new")
    engine = Engine(legacy, new)
    stream = story_entries() if entries is None else entries
    summary, timeline = Summary(), Timeline()
    for start in range(0, len(stream), batch):
        part = stream[start : start + batch]
        healthy, verdicts = engine.check_batch(part)
        summary.add_healthy(healthy, part[0].id, part[-1].id)
        for verdict in verdicts:
            summary.add(verdict)
        timeline.add_batch(part, verdicts, engine.writer_field)
    report = build_report(
        summary,
        source={"kind": "redis", "stream": "comments:cdc", "url": "redis://cdc-redis:6379/0"},
        schemas={"legacy": schema_info(legacy), "new": schema_info(new)},
        started_at=datetime(2026, 1, 28, 16, 5, tzinfo=UTC),
        elapsed_s=1.25,
    )
    report["schemas"]["legacy"]["path"] = "schemas/comment/legacy.json"
    report["schemas"]["new"]["path"] = "schemas/comment/new.json"
    report["timeline"] = timeline.restrict(summary.findings).to_json()
    return report


def console_timeline(report: dict[str, Any], columns: int = 60) -> str:
    """The per-writer failing-share sparklines and the top groups' trend lines, as text."""
    timeline = Timeline.from_json(report["timeline"])
    lines, top, width_s = writer_sparklines(timeline, columns)
    name_width = max((len(writer) for writer in lines), default=0)
    out = [
        f"Failing share over time (one column per {format_width(width_s)}, full block = {top:.1%})"
    ]
    out += [f"  {writer:<{name_width}}  {line}" for writer, line in lines.items()]
    out.append("")
    out += [trend_line(group, timeline) for group in report["findings"][:4]]
    return "\n".join(out) + "\n"


def chromium_command(user_data_dir: Path, *more: str) -> list[str]:
    """Headless chromium that talks to nothing but the page it is given."""
    return [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}", *more]


def screenshot(page: Path, png: Path, size: tuple[int, int], timeout: float = 120.0) -> None:
    """Photograph ``page`` at ``size`` (width, height) into ``png`` with headless chromium."""
    with tempfile.TemporaryDirectory(prefix="cdccheck-chromium-") as profile:
        command = chromium_command(
            Path(profile),
            f"--window-size={size[0]},{size[1]}",
            f"--screenshot={png}",
            page.resolve().as_uri(),
        )
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(
            f"chromium could not photograph {page} (exit {done.returncode}): "
            f"{done.stderr.decode(errors='replace')[-500:]}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    arguments = parser.parse_args()
    if shutil.which(CHROMIUM) is None and not os.path.exists(CHROMIUM):
        print(f"screenshots: error: {CHROMIUM} is missing (apt-get install chromium)")
        return 2
    arguments.out.mkdir(parents=True, exist_ok=True)
    report = story_report()
    page = arguments.out / "html-report.html"
    page.write_text(render_html(report), encoding="utf-8")
    screenshot(page, arguments.out / "html-report.png", DESKTOP)
    screenshot(page, arguments.out / "html-report-phone.png", PHONE)
    (arguments.out / "console-timeline.txt").write_text(console_timeline(report), encoding="utf-8")
    page.unlink()
    for name in ("html-report.png", "html-report-phone.png", "console-timeline.txt"):
        print(arguments.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
