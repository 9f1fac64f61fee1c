"""``consume``: the sidecar, a consumer-group member checking every event (cdccheck.sidecar)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import (
    GROUPED_EVENTS,
    GROUPED_SCHEMAS,
    EventOptions,
    SchemaOptions,
    bucket_width,
    build_engine,
    errors_to_exit_codes,
    grouped_options,
)
from cdccheck.cli.options import (
    BucketOption,
    FailOn,
    FailOnOption,
    GroupOption,
    LegacyOption,
    NewOption,
    RedisUrlOption,
    SamplesOption,
    ShowValuesOption,
    StreamsOption,
    env_option,
)


class LogFormat(StrEnum):
    """Log lines on stderr: JSON for collectors, text for people."""

    json = "json"
    text = "text"


@app.command()
@errors_to_exit_codes
@grouped_options
def consume(
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamsOption = None,
    stream_pattern: Annotated[
        str | None,
        env_option(
            "--stream-pattern",
            help="Also read every stream matching this SCAN pattern (rescanned periodically).",
            show_default=False,
        ),
    ] = None,
    group: GroupOption = "cdccheck",
    consumer: Annotated[
        str | None,
        env_option(
            "--consumer",
            help="Consumer name in the group (default: the pod or host name, $HOSTNAME).",
            show_default=False,
        ),
    ] = None,
    start_id: Annotated[
        str,
        env_option(
            "--start-id",
            help="Where a NEW group starts: $ (new entries only) or 0 (whole stream). "
            "An existing group is joined as it is.",
        ),
    ] = "$",
    batch: Annotated[
        int,
        env_option("--batch", min=1, max=10_000, help="Entries per read."),
    ] = 500,
    block_ms: Annotated[
        int,
        env_option("--block-ms", min=1, help="How long a read waits for entries."),
    ] = 1000,
    claim_idle_ms: Annotated[
        int,
        env_option(
            "--claim-idle-ms",
            min=1,
            help="Claim other consumers' entries pending longer than this (dead consumers).",
        ),
    ] = 60_000,
    quarantine_stream: Annotated[
        str | None,
        env_option(
            "--quarantine-stream",
            help="Copy each failing event (raw fields + findings) to this stream; "
            "{stream} in the name stands for the stream's hash tag (Redis Cluster).",
            show_default=False,
        ),
    ] = None,
    quarantine_maxlen: Annotated[
        int,
        env_option(
            "--quarantine-maxlen",
            min=1,
            help="Keep about this many quarantined events (XADD MAXLEN ~).",
        ),
    ] = 100_000,
    report: Annotated[
        Path | None,
        env_option(
            "--report",
            help="Keep this consumer's JSON report in this file (rewritten atomically).",
            show_default=False,
        ),
    ] = None,
    report_every: Annotated[
        float,
        env_option(
            "--report-every", min=0.01, help="Seconds between rewrites of --report and --html."
        ),
    ] = 60.0,
    html: Annotated[
        Path | None,
        env_option(
            "--html",
            metavar="PATH",
            help="Keep this consumer's report as one HTML page too (rewritten atomically).",
            show_default=False,
        ),
    ] = None,
    bucket: BucketOption = None,
    timeline_horizon: Annotated[
        str,
        env_option(
            "--timeline-horizon",
            metavar="DURATION",
            help="How far back the fleet summary's timeline reaches before its newest event "
            "(older buckets fold into per-writer totals). The fleet's bucket width is --bucket, "
            "else the finest that keeps the horizon within 200 buckets.",
        ),
    ] = "7d",
    metrics_port: Annotated[
        int | None,
        env_option(
            "--metrics-port",
            min=0,
            max=65535,
            help="Serve Prometheus /metrics, /healthz and /readyz on this port.",
            show_default=False,
        ),
    ] = None,
    metrics_host: Annotated[
        str,
        env_option("--metrics-host", help="Address the metrics listen on."),
    ] = "0.0.0.0",  # all interfaces: Prometheus scrapes a sidecar from outside its pod
    metrics_paths: Annotated[
        int,
        env_option(
            "--metrics-paths",
            min=0,
            help="Finding paths that get their own path label in cdccheck_findings_total "
            '(the first ones seen); later paths count as path="other".',
        ),
    ] = 25,
    log_format: Annotated[
        LogFormat,
        env_option("--log-format", help="Log lines on stderr."),
    ] = LogFormat.json,
    until_idle: Annotated[
        float | None,
        env_option(
            "--until-idle",
            min=0.001,
            help="Drain mode: stop after this many seconds without entries.",
            show_default=False,
        ),
    ] = None,
    max_events: Annotated[
        int | None,
        env_option(
            "--max-events",
            min=1,
            help="Drain mode: stop after checking this many events.",
            show_default=False,
        ),
    ] = None,
    rescan_every: Annotated[
        float,
        env_option("--rescan-every", min=0.01, help="Seconds between SCANs for --stream-pattern."),
    ] = 30.0,
    legacy: LegacyOption = None,
    new: NewOption = None,
    schemas: SchemaOptions = GROUPED_SCHEMAS,
    events: EventOptions = GROUPED_EVENTS,
    fail_on: FailOnOption = FailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
) -> None:
    """Run as a sidecar: check every event of a stream as a consumer-group member.

    Counting is exactly-once: each batch's acknowledgement and its counts in
    the fleet summary are committed in one atomic step, so crashes and
    restarts never lose or double-count an event. Many sidecars in one group
    split the stream; `cdccheck report --redis-url URL --stream KEY --group G`
    shows the fleet-wide summary. SIGTERM finishes the batch, writes the
    final report and exits 0; Redis going away is retried with backoff.
    Logs are JSON lines on stderr.

    Example:

    \b
        cdccheck consume --redis-url redis://redis:6379/0 --stream comments:cdc \\
            --legacy legacy.json --new new.json \\
            --group cdccheck --report /data/report.json --metrics-port 9108

    Drain mode (jobs and tests): --until-idle or --max-events stop by
    themselves, and only then does --fail-on decide the exit code.

    Exit codes: 0 stopped cleanly, 1 findings counted by --fail-on (drain
    mode), 2 usage or schema error, 3 Redis unreachable at start (drain
    mode), credentials refused or key not a stream.
    """
    from cdccheck.sidecar import ConsumeOptions, configure_logging
    from cdccheck.sidecar import consume as run_sidecar
    from cdccheck.sidecar.logs import warning as log_warning
    from cdccheck.timeline import horizon_width, parse_duration

    configure_logging(log_format.value)
    bucket_s = bucket_width(bucket)
    horizon_s = parse_duration(timeline_horizon)
    horizon_width(horizon_s, bucket_s)  # a usage error now, not after joining the group
    engine = build_engine(
        legacy,
        new,
        events,
        schemas,
        warn=lambda text: log_warning("schema derived from code is wider there", where=text),
    )
    options = ConsumeOptions(
        url=redis_url,
        streams=list(stream or []),
        pattern=stream_pattern,
        group=group,
        consumer=consumer,
        start_id=start_id,
        batch=batch,
        block_ms=block_ms,
        claim_idle_ms=claim_idle_ms,
        quarantine_stream=quarantine_stream,
        quarantine_maxlen=quarantine_maxlen,
        report=report,
        report_every_s=report_every,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        metrics_paths=metrics_paths,
        until_idle_s=until_idle,
        max_events=max_events,
        samples=samples,
        show_values=show_values,
        rescan_every_s=rescan_every,
        bucket_s=bucket_s,
        timeline_horizon_s=horizon_s,
        html=html,
    )
    result = run_sidecar(engine, options)
    failing = result.summary.counts_failures(fail_on.value)
    raise typer.Exit(1 if options.drain and failing else 0)
