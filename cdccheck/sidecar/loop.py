"""The consume loop: a consumer-group member that checks every event, for weeks.

``consume(engine, options)`` joins a consumer group of its own
(:mod:`cdccheck.sources.redis_group`), and for each batch it reads:

1. checks it with the shared pipeline (``pipeline.check_batch``) into a
   batch Summary;
2. commits it (:mod:`cdccheck.sidecar.fleet`): XACK + fleet-summary counts +
   quarantine in one atomic script, so the fleet summary counts each event
   exactly once whatever crashes when;
3. only then adds the batch to this consumer's own Summary, its metrics and
   its ``--report`` file.

Stopping: the first SIGTERM/SIGINT lets the batch in hand finish and commit,
then the final report is written and ``consume`` returns; a second signal
exits at once (status 128 + signal), which is safe: an uncommitted batch
stays pending and is read again. Drain mode (``until_idle_s``,
``max_events``) stops by itself. Redis going away is waited out with capped
exponential backoff and jitter, readiness false meanwhile. The guarantees
are written down in ``docs/sidecar.md``.

The loop's helpers sit next to it: metrics (:mod:`.metrics`), the HTTP
endpoints (:mod:`.http`), log lines (:mod:`.logs`) and the test-only crash
hook (:mod:`.crash`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from cdccheck.engine.engine import Engine
from cdccheck.engine.pipeline import check_batch, verdict_line
from cdccheck.errors import ConfigError, SourceError, SourceUnavailable
from cdccheck.model import Entry, EventVerdict
from cdccheck.sidecar.crash import CRASH_ENV, STALL_ENV, CrashHook, StallHook
from cdccheck.sidecar.fleet import TRIMMED, Fleet, QuarantineRecord, hash_tag
from cdccheck.sidecar.fleet import field as fleet_field
from cdccheck.sidecar.http import HttpServer
from cdccheck.sidecar.logs import info, warning
from cdccheck.sidecar.metrics import DEFAULT_PATH_LABELS, Metrics
from cdccheck.sources.redis_group import (
    DEFAULT_BATCH,
    DEFAULT_BLOCK_MS,
    DEFAULT_CLAIM_IDLE_MS,
    DEFAULT_GROUP,
    DEFAULT_RESCAN_S,
    GroupBatch,
    GroupMissing,
    RedisGroup,
    key_slot,
    lineage_prefixes,
    redis_errors,
    secret_of,
)
from cdccheck.sources.redis_range import redact_url
from cdccheck.summary import Summary
from cdccheck.timeline import DEFAULT_HORIZON_S, Timeline, horizon_width, within_horizon

__all__ = [
    "DEFAULT_METRICS_HOST",
    "QUARANTINE_TEMPLATE",
    "ConsumeOptions",
    "ConsumeResult",
    "Sidecar",
    "consume",
]

DEFAULT_METRICS_HOST = "127.0.0.1"
"""Where /metrics, /healthz and /readyz listen by default: this host only. The
endpoints have no authentication; a pod opens them to Prometheus and the kubelet
with ``--metrics-host 0.0.0.0`` (``docs/security.md``)."""

QUARANTINE_TEMPLATE = "{stream}"
"""In --quarantine-stream, stands for the stream's hash tag: one quarantine per stream."""

_METRICS_EVERY_S = 5.0
_PROGRESS_EVERY_S = 60.0
_STALE_CHECK_EVERY_S = 600.0
_HEALTHY_LOOP_S = 120.0


@dataclass
class ConsumeOptions:
    """Everything ``cdccheck consume`` takes besides the schemas (see its --help)."""

    url: str
    streams: list[str] = field(default_factory=list)
    pattern: str | None = None
    group: str = DEFAULT_GROUP
    consumer: str | None = None
    start_id: str = "$"
    batch: int = DEFAULT_BATCH
    block_ms: int = DEFAULT_BLOCK_MS
    claim_idle_ms: int = DEFAULT_CLAIM_IDLE_MS
    quarantine_stream: str | None = None
    quarantine_maxlen: int = 100_000
    report: Path | None = None
    report_every_s: float = 60.0
    metrics_port: int | None = None
    metrics_host: str = DEFAULT_METRICS_HOST
    metrics_paths: int = DEFAULT_PATH_LABELS
    until_idle_s: float | None = None
    max_events: int | None = None
    samples: int = 5
    show_values: bool = False
    rescan_every_s: float = DEFAULT_RESCAN_S
    backoff_base_s: float = 0.1
    backoff_cap_s: float = 5.0
    password: str | None = None
    bucket_s: int | None = None
    """Timeline bucket width (``--bucket``); None: the fleet's from the horizon, own automatic."""
    timeline_horizon_s: int = DEFAULT_HORIZON_S
    """The fleet timeline's rolling horizon (``--timeline-horizon``)."""
    html: Path | None = None
    """Also keep this consumer's report as one HTML page here (``--html``)."""

    @property
    def drain(self) -> bool:
        """Drain mode: the run stops by itself (and --fail-on applies)."""
        return self.until_idle_s is not None or self.max_events is not None


class ConsumeResult(NamedTuple):
    """What a finished ``consume`` counted (this consumer only) and why it stopped."""

    summary: Summary
    report: dict[str, Any]
    stopped_by: str


# ---------------------------------------------------------------- the loop


class _InDoubt(NamedTuple):
    """A commit whose reply was lost: settled by the consumer's recorded token."""

    stream: str
    token: str
    summary: Summary
    trimmed: int
    quarantined: int


class Sidecar:
    """One consumer: reads, checks, commits, reports; ``run()`` until stopped."""

    def __init__(self, engine: Engine, options: ConsumeOptions) -> None:
        from cdccheck.report.json import schema_info

        if options.max_events is not None and options.max_events < 1:
            raise ConfigError(f"bad --max-events {options.max_events}: it must be at least 1")
        if options.until_idle_s is not None and options.until_idle_s <= 0:
            raise ConfigError(f"bad --until-idle {options.until_idle_s}: it must be positive")
        if options.report_every_s <= 0:
            raise ConfigError(f"bad --report-every {options.report_every_s}: it must be positive")
        if options.quarantine_maxlen < 1:
            raise ConfigError(
                f"bad --quarantine-maxlen {options.quarantine_maxlen}: it must be at least 1"
            )
        self.engine = engine
        self.options = options
        self.schemas = {"legacy": schema_info(engine.legacy), "new": schema_info(engine.new)}
        # The fleet keeps a fixed width over a rolling horizon (bounded keys); this
        # consumer's own report is automatic (bounded buckets) unless --bucket says.
        self.fleet_timeline = (
            horizon_width(options.timeline_horizon_s, options.bucket_s),
            options.timeline_horizon_s,
        )
        self.summary = Summary(
            samples=options.samples,
            show_values=options.show_values,
            timeline=Timeline.with_width(options.bucket_s),
        )
        self.source = RedisGroup(
            options.url,
            options.streams,
            pattern=options.pattern,
            group=options.group,
            consumer=options.consumer,
            start_id=options.start_id,
            batch_size=options.batch,
            block_ms=options.block_ms,
            claim_idle_ms=options.claim_idle_ms,
            rescan_every_s=options.rescan_every_s,
            password=options.password,
            deleted_counter=self._trimmed_counter,
            exclude=self._is_quarantine,
        )
        self.consumer = self.source.consumer
        self.metrics = Metrics(path_labels=options.metrics_paths)
        self.fleets: dict[str, Fleet] = {}
        self.trimmed = 0
        self.quarantined = 0
        self.lost = 0
        self._commits = 0
        self.ready = False
        self.redis_up = False
        self._secret = secret_of(options.url, options.password)
        self._run_id = uuid.uuid4().hex[:12]
        self._stop_reason: str | None = None
        self._signals = 0
        self._doubt: _InDoubt | None = None
        self._crash = CrashHook(os.environ.get(CRASH_ENV))
        self._stall = StallHook(os.environ.get(STALL_ENV))
        self._heartbeat = time.monotonic()
        self._started_at = datetime.now(UTC)
        self._started = time.perf_counter()
        self._last_activity = time.monotonic()
        self._claimed_seen = 0
        self._deleted_seen = 0
        self._next_report = time.monotonic() + options.report_every_s
        self._next_metrics = 0.0
        self._next_progress = time.monotonic() + _PROGRESS_EVERY_S
        self._next_stale_check = 0.0
        self._http: HttpServer | None = None
        self._metrics_changed = False
        self.metrics_port: int | None = None

    # -- keys of one stream ----------------------------------------------------

    def _trimmed_counter(self, stream: str) -> tuple[str, str]:
        return self._fleet(stream).keys.counters, fleet_field(*TRIMMED)

    def quarantine_key(self, stream: str) -> str | None:
        """The quarantine stream for ``stream`` (``{stream}`` in the option becomes its tag)."""
        template = self.options.quarantine_stream
        if template is None:
            return None
        if QUARANTINE_TEMPLATE in template:
            return template.replace(QUARANTINE_TEMPLATE, "{" + hash_tag(stream) + "}")
        return template

    def _is_quarantine(self, key: str) -> bool:
        template = self.options.quarantine_stream
        if template is None:
            return False
        if QUARANTINE_TEMPLATE not in template:
            return key == template
        head, _, tail = template.partition(QUARANTINE_TEMPLATE)
        return key.startswith(head + "{") and key.endswith("}" + tail)

    def _fleet(self, stream: str) -> Fleet:
        fleet = self.fleets.get(stream)
        if fleet is None:
            fleet = Fleet(
                self.source.client, stream, self.options.group, cluster=self.source.is_cluster
            )
            quarantine = self.quarantine_key(stream)
            if (
                self.source.is_cluster
                and quarantine is not None
                and key_slot(quarantine) != key_slot(stream)
            ):
                raise ConfigError(
                    f"--quarantine-stream {quarantine!r} is in another cluster slot than "
                    f"stream {stream!r}, so it cannot be written in the same step: name it "
                    f"with the stream's hash tag, e.g. 'cdccheck:quarantine:{{stream}}'"
                )
            self.fleets[stream] = fleet
        return fleet

    # -- health ----------------------------------------------------------------

    @property
    def liveness_s(self) -> float:
        """How long the loop may go without turning before /healthz says it is wedged."""
        return _HEALTHY_LOOP_S + self.options.block_ms / 1000

    def healthy(self) -> tuple[bool, str]:
        """Liveness: the loop turned recently (a wedged loop should be restarted).

        /healthz says the same, computed by the endpoints' own process from
        the heartbeat this loop publishes (``cdccheck.sidecar.http``).
        """
        quiet = time.monotonic() - self._heartbeat
        if quiet > self.liveness_s:
            return False, f"the consume loop has not turned for {quiet:.0f}s"
        return True, "ok"

    def readiness(self) -> tuple[bool, str]:
        """Readiness: connected, group joined, not stopping."""
        return self._readiness(self.ready)

    def _readiness(self, ready: bool) -> tuple[bool, str]:
        if self._stop_reason is not None:
            return False, f"stopping ({self._stop_reason})"
        if not ready:
            return False, "not connected to Redis"
        return True, "ready"

    def _set_ready(self, ready: bool) -> None:
        self.metrics.ready.set(1 if ready else 0)
        self.metrics.redis_up.set(1 if ready else 0)
        # Published before the attributes change: whoever sees them changed
        # finds the endpoints saying so already.
        self._publish(ready=True, metrics=True, readiness=self._readiness(ready))
        self.ready = self.redis_up = ready

    def _beat(self) -> None:
        """The loop turned: note it, and publish it (with readiness) for /healthz."""
        self._heartbeat = time.monotonic()
        self._publish(ready=True, metrics=self._metrics_changed)

    def _publish(
        self,
        *,
        ready: bool = False,
        metrics: bool = False,
        readiness: tuple[bool, str] | None = None,
    ) -> None:
        """Publish heartbeat, and readiness / metrics text when asked, to the endpoints."""
        if self._http is None:
            return
        self._http.publish(
            heartbeat=self._heartbeat,
            ready=(readiness or self.readiness()) if ready else None,
            metrics=self.metrics.render() if metrics else None,
        )
        if metrics:
            self._metrics_changed = False

    # -- stopping ----------------------------------------------------------------

    def stop(self, reason: str) -> None:
        """Ask the loop to stop after the batch in hand (callable from any thread)."""
        if self._stop_reason is None:
            self._stop_reason = reason

    def _on_signal(self, signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        self._signals += 1
        if self._signals > 1:
            warning(
                f"second {name}: exiting now; the uncommitted batch will be read again",
                signal=name,
            )
            logging.shutdown()
            os._exit(128 + signum)
        info(f"{name}: finishing the batch in hand, then stopping", signal=name)
        self.stop(name)

    @contextlib.contextmanager
    def _signals_installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._stop_reason is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.05))

    # -- running -----------------------------------------------------------------

    def _errors(self, what: str) -> contextlib.AbstractContextManager[None]:
        return redis_errors(self.options.url, self._secret, what)

    def run(self) -> ConsumeResult:
        """Consume until a signal, ``stop()`` or the drain condition; the final report is written.

        Raises ConfigError / SourceError for what retrying cannot fix, and
        SourceUnavailable when Redis is down at start in drain mode.
        """
        with self._signals_installed():
            try:
                if self.options.metrics_port is not None:
                    from prometheus_client import CONTENT_TYPE_LATEST

                    self._http = HttpServer(
                        self.options.metrics_host,
                        self.options.metrics_port,
                        liveness_s=self.liveness_s,
                        content_type=CONTENT_TYPE_LATEST,
                    )
                self._set_ready(False)
                if self._http is not None:
                    self.metrics_port = self._http.port
                self._join_first()
                while self._stop_reason is None:
                    self._beat()
                    try:
                        self._step()
                    except SourceUnavailable as error:
                        self._wait_for_redis(error)
                    except GroupMissing as error:
                        # The group (and maybe the fleet summary) went with the
                        # data: join and register again, as after a restart.
                        warning("consumer group vanished; joining again", error=str(error))
                        try:
                            self._join()
                        except SourceUnavailable as again:
                            self._wait_for_redis(again)
            finally:
                report = self._finish()
        return ConsumeResult(self.summary, report, self._stop_reason or "error")

    def _join(self) -> None:
        self.source.open()
        for stream in self.source.streams:
            self._register(stream)
        self._set_ready(True)
        self._last_activity = time.monotonic()

    def _register(self, stream: str) -> None:
        with self._errors(f"registering with the fleet summary of stream {stream!r}"):
            self._fleet(stream).register(
                samples=self.options.samples,
                show_values=self.options.show_values,
                schemas=self.schemas,
                caps=self.summary,
                timeline=self.fleet_timeline,
            )

    def _join_first(self) -> None:
        attempt = 0
        while self._stop_reason is None:
            try:
                self._join()
            except SourceUnavailable as error:
                if self.options.drain:
                    raise  # a job or a test wants a clear failure, not a wait
                attempt += 1
                self._backoff(error, attempt)
                continue
            info(
                "consuming",
                url=redact_url(self.options.url),
                group=self.options.group,
                consumer=self.consumer,
                streams=self.source.streams,
                cluster=self.source.is_cluster,
            )
            return

    def _backoff(self, error: SourceError, attempt: int) -> None:
        # Capped exponential backoff with jitter: a fleet of sidecars that lost
        # the same server must not reconnect in lockstep.
        delay = min(self.options.backoff_cap_s, self.options.backoff_base_s * 2 ** (attempt - 1))
        delay = delay / 2 + random.uniform(0, delay / 2)
        # Waiting out an outage is the loop working: /healthz stays green.
        self._beat()
        warning("Redis unavailable; retrying", error=str(error), retry_in_s=round(delay, 3))
        self._sleep(delay)

    def _wait_for_redis(self, error: SourceUnavailable) -> None:
        self._set_ready(False)
        attempt = 0
        while self._stop_reason is None:
            attempt += 1
            self._backoff(error, attempt)
            if self._stop_reason is not None:
                return
            try:
                self._join()
                if self._doubt is not None:
                    self._settle()
            except SourceUnavailable as again:
                error = again
                continue
            info("Redis is back; reading pending entries again", attempts=attempt)
            return

    def _step(self) -> None:
        if self._doubt is not None:
            self._settle()
        self._housekeeping()
        limit = None
        if self.options.max_events is not None:
            limit = self.options.max_events - self.summary.totals.events
            if limit <= 0:
                self.stop("max-events")
                return
        batches = self.source.read(limit)
        self._beat()
        self._note_claims()
        if not batches:
            idle = time.monotonic() - self._last_activity
            if self.options.until_idle_s is not None and idle >= self.options.until_idle_s:
                self.stop("until-idle")
            return
        self._last_activity = time.monotonic()
        for batch in batches:
            self._process(batch)

    def _note_claims(self) -> None:
        claimed = self.source.claimed - self._claimed_seen
        if claimed:
            self.metrics.claimed.inc(claimed)
            self._metrics_changed = True
            self._claimed_seen = self.source.claimed
        deleted = self.source.deleted_on_claim - self._deleted_seen
        if deleted:
            # Counted in the fleet summary by the claim script itself.
            self.trimmed += deleted
            self.metrics.trimmed.inc(deleted)
            self._metrics_changed = True
            self._deleted_seen = self.source.deleted_on_claim

    def _check(self, entries: list[Entry]) -> tuple[Summary, list[EventVerdict]]:
        """The batch Summary, and the failing events' verdicts when they are quarantined.

        Without a quarantine the pipeline counts healthy events in bulk and
        no verdict is kept: every metric comes from the batch Summary.
        """
        summary = Summary(
            samples=self.options.samples,
            show_values=self.options.show_values,
            timeline=self._batch_timeline(),
        )
        if self.options.quarantine_stream is None:
            check_batch(self.engine, entries, summary)
            return summary, []
        failing: list[EventVerdict] = []

        def keep_failing(verdict: EventVerdict) -> None:
            if not verdict.ok:
                failing.append(verdict)

        check_batch(self.engine, entries, summary, keep_failing)
        return summary, failing

    def _batch_timeline(self) -> Timeline:
        """A batch's timeline: fine enough for the fleet's width and for this consumer's."""
        own = self.summary.timeline
        width_s = self.fleet_timeline[0]
        if own is not None:
            width_s = min(width_s, own.width_s)
        return Timeline(width_s, None)

    def _process(self, batch: GroupBatch) -> None:
        started = time.perf_counter()
        if self._crash.reached("mid-batch"):
            self._check(batch.entries[: len(batch.entries) // 2])
            self._crash.now()
        self._stall.maybe_stall()
        summary, failing = self._check(batch.entries)
        if self._crash.reached("before-commit"):
            self._crash.now()
        self._commit(batch, summary, failing, started)
        if self._crash.reached("after-commit"):
            self._crash.now()

    def _quarantine(self, batch: GroupBatch, failing: list[EventVerdict]) -> list[QuarantineRecord]:
        if not failing:
            return []
        verdicts = {verdict.id: verdict for verdict in failing}
        return [
            QuarantineRecord(
                entry.fields,
                batch.stream,
                entry.id,
                json.dumps(
                    verdict_line(verdicts[entry.id], self.options.show_values), ensure_ascii=False
                ),
            )
            for entry in batch.entries
            if entry.id in verdicts
        ]

    def _commit(
        self,
        batch: GroupBatch,
        summary: Summary,
        failing: list[EventVerdict],
        started: float,
    ) -> None:
        fleet = self._fleet(batch.stream)
        quarantine = self._quarantine(batch, failing)
        # Why the XACK travels with the counts, in one atomic script (see
        # cdccheck.sidecar.fleet): acknowledged without being counted, a crash would
        # lose the batch; counted without being acknowledged, the batch would
        # be read and counted again. Only once Redis says it happened does the
        # batch join this consumer's own summary.
        while True:
            self._commits += 1
            token = f"{self._run_id}:{self._commits}"
            trimmed, quarantined = len(batch.trimmed), len(quarantine)
            # Until the reply is in, the commit may or may not have happened.
            self._doubt = _InDoubt(batch.stream, token, summary, trimmed, quarantined)
            with self._errors(f"committing a batch of stream {batch.stream!r}"):
                lost = fleet.commit(
                    consumer=self.consumer,
                    token=token,
                    ids=batch.ids,
                    summary=summary,
                    trimmed=trimmed,
                    quarantine=quarantine,
                    quarantine_key=self.quarantine_key(batch.stream),
                    quarantine_maxlen=self.options.quarantine_maxlen,
                )
            self._doubt = None
            if not lost:
                self._committed(summary, trimmed, quarantined, started)
                return
            # Another consumer claimed these while this one was slow: they are
            # its to count now. Check and commit the rest (rare, so checked again).
            gone = set(lost)
            self.lost += len(gone)
            self.metrics.lost.inc(len(gone))
            self._metrics_changed = True
            warning(
                "entries were claimed by another consumer before this one committed them",
                stream=batch.stream,
                entries=len(gone),
            )
            batch = GroupBatch(
                batch.stream,
                [entry for entry in batch.entries if entry.id not in gone],
                [stream_id for stream_id in batch.trimmed if stream_id not in gone],
            )
            if not batch.ids:
                return
            summary, failing = self._check(batch.entries)
            quarantine = self._quarantine(batch, failing)

    def _settle(self) -> None:
        """Decide a commit whose reply was lost, from the token it records atomically."""
        doubt = self._doubt
        assert doubt is not None
        with self._errors("checking the last commit"):
            recorded = self._fleet(doubt.stream).last_token(self.consumer)
        self._doubt = None
        if recorded == doubt.token:
            self._committed(doubt.summary, doubt.trimmed, doubt.quarantined, None)
            info("the commit in doubt had gone through", stream=doubt.stream)
        else:
            info("the commit in doubt had not gone through; its entries are read again")

    def _committed(
        self, summary: Summary, trimmed: int, quarantined: int, started: float | None
    ) -> None:
        if trimmed:
            self.metrics.trimmed.inc(trimmed)
        if quarantined:
            self.metrics.quarantined.inc(quarantined)
        seconds = time.perf_counter() - started if started is not None else None
        self.metrics.batch(summary, seconds)
        # Published before the summary counts the batch: whoever sees the
        # events counted finds them in /metrics too.
        self._publish(metrics=True)
        # In place, walking only the batch's groups: a merge into a new Summary
        # would walk every group seen so far, once per batch.
        self.summary.absorb(summary)
        if self.options.bucket_s is not None and self.summary.timeline is not None:
            # A fixed width never coarsens: the horizon bounds it, as in the fleet.
            self.summary.timeline = within_horizon(
                self.summary.timeline, self.options.timeline_horizon_s
            )
        self.trimmed += trimmed
        self.quarantined += quarantined

    # -- periodic work -------------------------------------------------------------

    def _housekeeping(self) -> None:
        now = time.monotonic()
        for stream in self.source.refresh_streams():
            self._register(stream)
        keeps_report = self.options.report is not None or self.options.html is not None
        if keeps_report and now >= self._next_report:
            self._next_report = now + self.options.report_every_s
            self._write_report()
        if self._http is not None and now >= self._next_metrics:
            self._next_metrics = now + _METRICS_EVERY_S
            for stream, stats in self.source.group_stats().items():
                label = self.metrics.label("stream", stream)
                self.metrics.pending.labels(label).set(stats["pending"] or 0)
                if stats["lag"] is not None:
                    self.metrics.lag.labels(label).set(stats["lag"])
            self._publish(metrics=True)
            if self._http.check():
                warning("the process serving /metrics, /healthz and /readyz died; started again")
        if now >= self._next_stale_check:
            self._next_stale_check = now + _STALE_CHECK_EVERY_S
            forgotten = self.source.forget_stale_consumers()
            # Earlier sidecars of this one's lineage (replaced pods) go sooner: idle
            # as long as a dead consumer's entries, nothing pending (docs/sidecar.md).
            forgotten += self.source.forget_stale_consumers(
                self.options.claim_idle_ms, lineage_prefixes(self.consumer)
            )
            if forgotten:
                for fleet in self.fleets.values():
                    with self._errors("forgetting stale consumers"):
                        fleet.forget(forgotten)
                info("removed stale consumers from the group", consumers=forgotten)
        if now >= self._next_progress:
            self._next_progress = now + _PROGRESS_EVERY_S
            self._log_progress("progress")

    def _log_progress(self, message: str, **more: Any) -> None:
        totals = self.summary.totals
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        info(
            message,
            events=totals.events,
            ok=totals.ok,
            failing=totals.events - totals.ok,
            trimmed=self.trimmed,
            quarantined=self.quarantined,
            events_per_s=round(totals.events / elapsed, 1),
            **more,
        )

    def source_description(self) -> dict[str, Any]:
        """The report's ``source``: this consumer, its group and its streams."""
        streams = self.source.streams or list(self.options.streams)
        described: dict[str, Any] = {"kind": "group"}
        if len(streams) == 1:
            described["stream"] = streams[0]
        described.update(
            {
                "streams": streams,
                "group": self.options.group,
                "consumer": self.consumer,
                "url": redact_url(self.options.url),
                "trimmed": self.trimmed,
                "quarantined": self.quarantined,
            }
        )
        return described

    def build_report(self) -> dict[str, Any]:
        """This consumer's report (what it committed), in the JSON report format."""
        from cdccheck.hints import SchemaFacts
        from cdccheck.report.json import build_report

        return build_report(
            self.summary,
            source=self.source_description(),
            schemas=self.schemas,
            started_at=self._started_at,
            elapsed_s=time.perf_counter() - self._started,
            facts=SchemaFacts({"legacy": self.engine.legacy, "new": self.engine.new}),
        )

    def _write_report(self) -> dict[str, Any]:
        from cdccheck.files import write_atomic
        from cdccheck.report.json import render_json

        report = self.build_report()
        if self.options.report is not None:
            write_atomic(self.options.report, render_json(report))
        if self.options.html is not None:
            from cdccheck.report.html import render_html

            write_atomic(self.options.html, render_html(report))
        return report

    def _finish(self) -> dict[str, Any]:
        self._set_ready(False)
        try:
            report = self._write_report()
        finally:
            if self._http is not None:
                self._http.close()
            self.source.close()
        self._log_progress("stopped", reason=self._stop_reason or "error")
        return report


def consume(engine: Engine, options: ConsumeOptions) -> ConsumeResult:
    """Run a sidecar until it stops (see the module docstring); the library entry point."""
    return Sidecar(engine, options).run()
