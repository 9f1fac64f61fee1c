"""The package's public API: exactly what __all__ names, importable without the heavy parts."""

from __future__ import annotations

import subprocess
import sys

import cdccheck

PUBLIC = {
    "CdccheckError",
    "ConfigError",
    "Decoded",
    "Engine",
    "Entry",
    "EventVerdict",
    "Finding",
    "Schema",
    "SourceError",
    "SourceInterrupted",
    "Summary",
    "Undecodable",
    "__version__",
    "build_report",
    "check_batch",
    "decode",
    "load_schema",
    "merge_reports",
    "run",
}


def test_all_is_exact() -> None:
    assert set(cdccheck.__all__) == PUBLIC
    assert len(cdccheck.__all__) == len(PUBLIC)
    for name in cdccheck.__all__:
        assert getattr(cdccheck, name) is not None, name


def test_importing_the_library_pulls_in_no_cli_and_no_heavy_parts() -> None:
    code = (
        "import sys, cdccheck; "
        "print(sorted(m for m in ('typer', 'rich', 'redis', 'jsonschema') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_library_api_checks_a_corpus() -> None:
    from cdccheck.engine.schema import bundled_schema_path
    from cdccheck.samples import SAMPLE_CORPUS
    from cdccheck.sources.corpus import read_corpus

    engine = cdccheck.Engine(
        cdccheck.load_schema(bundled_schema_path("legacy"), name="legacy"),
        cdccheck.load_schema(bundled_schema_path("new"), name="new"),
    )
    summary = cdccheck.run(read_corpus(SAMPLE_CORPUS), engine, cdccheck.Summary())
    assert summary.totals.events == 352
    assert summary.totals.ok < summary.totals.events
