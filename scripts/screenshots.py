"""Screenshots of the HTML report and of the console timeline, for the README.

    python scripts/screenshots.py [--out docs/images]

Takes the demo's seeded six-hour stream with a story
(``cdccheck.demo.story_entries``: a Go deploy at 10:42 whose RFC3339Nano
timestamps legacy readers refuse, at a rising share; a short spike of null
award lists; steady Python space-separated datetimes), checks it with the
bundled schemas through the same pipeline and Summary as `cdccheck replay`,
renders the report as HTML and photographs it with headless Debian chromium
at desktop and phone width; the console table's timeline part is rendered by
the real console renderer, kept as text and photographed in colour too.
Nothing here is drawn by hand: the tests in tests/ops/test_html_browser.py
use the same functions.
"""

from __future__ import annotations

import argparse
import io
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

from cdccheck.demo import story_entries  # noqa: E402
from cdccheck.engine.engine import Engine  # noqa: E402
from cdccheck.engine.pipeline import check_batch  # noqa: E402
from cdccheck.engine.schema import bundled_schema_path, load_schema  # noqa: E402
from cdccheck.model import Entry  # noqa: E402
from cdccheck.report.console import render_table  # noqa: E402
from cdccheck.report.html import render_html  # noqa: E402
from cdccheck.report.json import build_report, schema_info  # noqa: E402
from cdccheck.summary import Summary  # noqa: E402
from cdccheck.timeline import Timeline  # noqa: E402

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
CONSOLE_WIDTH = 1010


def story_report(entries: list[Entry] | None = None, batch: int = 500) -> dict[str, Any]:
    """The check report of the story stream, with its ``timeline`` key."""
    legacy = load_schema(bundled_schema_path("legacy"), name="legacy")
    new = load_schema(bundled_schema_path("new"), name="new")
    engine = Engine(legacy, new)
    stream = story_entries() if entries is None else entries
    summary = Summary(timeline=Timeline())
    for start in range(0, len(stream), batch):
        check_batch(engine, stream[start : start + batch], summary)
    report = build_report(
        summary,
        source={"kind": "redis", "stream": "comments:cdc", "url": "redis://cdc-redis:6379/0"},
        schemas={"legacy": schema_info(legacy), "new": schema_info(new)},
        started_at=datetime(2026, 1, 28, 16, 5, tzinfo=UTC),
        elapsed_s=1.25,
    )
    report["schemas"]["legacy"]["path"] = "schemas/comment/legacy.json"
    report["schemas"]["new"]["path"] = "schemas/comment/new.json"
    return report


def console_timeline(report: dict[str, Any], width: int = 100, *, color: bool = False) -> str:
    """The console table's per-writer table and timeline, as `cdccheck replay` prints them."""
    lines = render_table(report, color=color, width=width).splitlines()
    start = next(i for i, line in enumerate(lines) if "By writer" in line)
    findings = next(i for i, line in enumerate(lines) if "Findings" in line)
    timeline = next(i for i, line in enumerate(lines) if "Over time" in line)
    return "\n".join(lines[start:findings] + lines[timeline:]) + "\n"


def console_page(report: dict[str, Any], width: int = 100) -> str:
    """The coloured console timeline as an HTML page (rich's own export), for a screenshot."""
    from rich.console import Console
    from rich.terminal_theme import MONOKAI
    from rich.text import Text

    console = Console(
        record=True,
        file=io.StringIO(),  # recorded for the export only, not printed
        width=width,
        force_terminal=True,
        color_system="truecolor",
    )
    console.print(Text.from_ansi(console_timeline(report, width, color=True)), end="")
    return console.export_html(theme=MONOKAI, inline_styles=True)


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
    page.write_text(console_page(report), encoding="utf-8")
    lines = console_timeline(report).count("\n")
    screenshot(page, arguments.out / "console-timeline.png", (CONSOLE_WIDTH, lines * 19 + 40))
    page.unlink()
    for name in (
        "html-report.png",
        "html-report-phone.png",
        "console-timeline.txt",
        "console-timeline.png",
    ):
        print(arguments.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
