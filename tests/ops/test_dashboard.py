"""The Grafana dashboard against a real Prometheus scraping a real ``cdccheck consume``.

A consume process runs on the session's redis-server while a thread keeps
writing mixed events; Prometheus (Debian's, loopback only, storage in the
test's tmp dir, scraping every second, with the alert rules loaded)
scrapes it. Every PromQL expression of every panel is then evaluated through
Prometheus' HTTP API and must return data: a panel that queries a metric the
sidecar does not export fails the test.
"""

from __future__ import annotations

import json
import math
import re
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from cdccheck.embedded import EmbeddedRedis
from cdccheck.engine.schema import bundled_schema_path
from cdccheck.samples import mixed_stream
from tests.ops.support import ROOT, need_tool
from tests.sidecar.support import consumer, finish, wait_for

DASHBOARD = ROOT / "deploy" / "grafana" / "cdccheck-dashboard.json"
RULES = ROOT / "deploy" / "prometheus" / "cdccheck-rules.yml"
STREAM = "ops:dashboard"
# Grafana's variables, as a dashboard user with every value selected sees them.
VARIABLES = {
    "$__rate_interval": "10s",
    "$__interval": "2s",
    "$__range": "5m",
    "$job": ".+",
    "$writer": ".+",
    "$stream": ".+",
}
_METRIC = re.compile(r"\b(cdccheck_[a-z_]+)")


def panels(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in document["panels"]:
        yield panel
        yield from panel.get("panels", [])


def expressions(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every panel."""
    return [
        (panel["title"], target["expr"])
        for panel in panels(document)
        for target in panel.get("targets", [])
    ]


def substitute(expression: str) -> str:
    for name in sorted(VARIABLES, key=len, reverse=True):
        expression = expression.replace(name, VARIABLES[name])
    return expression


def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return document


def exported_name(name: str) -> str:
    """The metric family a sample name belongs to (histogram and counter suffixes off)."""
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# ---------------------------------------------------------------- the JSON itself


def test_the_dashboard_is_well_formed() -> None:
    document = dashboard()
    ids = [panel["id"] for panel in panels(document)]
    assert len(ids) == len(set(ids))
    for panel in panels(document):
        grid = panel["gridPos"]
        assert grid["x"] >= 0
        assert grid["x"] + grid["w"] <= 24
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel.get("description")
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)) >= 1
    titles = " ".join(panel["title"] for panel in panels(document))
    for needed in ("verdict", "writer", "schema", "finding kinds", "latency", "lag", "Redis up"):
        assert needed.lower() in titles.lower(), needed
    variables = [v["name"] for v in document["templating"]["list"]]
    assert variables == ["datasource", "job", "writer", "stream"]
    for title, expression in expressions(document):
        assert "$" not in substitute(expression), (title, expression)


# ---------------------------------------------------------------- a live sidecar


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


class Traffic(threading.Thread):
    """Keeps writing mixed events (10 % defects) to the stream, about 250 a second."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.written = 0

    def run(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url)
        seed = 1
        try:
            while not self.stop.is_set():
                pipe = client.pipeline(transaction=False)
                for entry in mixed_stream(50, seed, defect_rate=0.1):
                    pipe.xadd(STREAM, entry.fields)  # ids from Redis: the time now
                pipe.execute()
                self.written += 50
                seed += 1
                self.stop.wait(0.2)
        finally:
            client.close()


@pytest.fixture(scope="module")
def sidecar(redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A running ``cdccheck consume`` with live traffic; yields its metrics port."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.delete(STREAM)
    client.close()
    directory = tmp_path_factory.mktemp("sidecar")
    port = free_port()
    traffic = Traffic(redis_server.url)
    traffic.start()
    process = consumer(
        redis_server.url,
        "--stream",
        STREAM,
        "--start-id",
        "0",
        "--legacy",
        str(bundled_schema_path("legacy")),
        "--new",
        str(bundled_schema_path("new")),
        "--metrics-port",
        str(port),
        "--metrics-host",
        "127.0.0.1",
        "--batch",
        "100",
        "--block-ms",
        "200",
        log=directory / "consume.log",
    )
    try:
        wait_for(
            lambda: get(f"http://127.0.0.1:{port}/readyz")[0] == 200,
            timeout=60,
            what="the sidecar to be ready",
        )
        wait_for(
            lambda: "cdccheck_warnings_total{" in get(f"http://127.0.0.1:{port}/metrics")[1],
            timeout=60,
            what="findings and warnings to be counted",
        )
        yield port
    finally:
        traffic.stop.set()
        traffic.join(timeout=10)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        finish(process, timeout=30)


def test_every_metric_the_dashboard_names_is_exported(sidecar: int) -> None:
    status, text = get(f"http://127.0.0.1:{sidecar}/metrics")
    assert status == 200
    declared = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    named = {
        exported_name(name)
        for _, expression in expressions(dashboard())
        for name in _METRIC.findall(expression)
    }
    assert named, "the dashboard names no cdccheck metric"
    assert named <= declared, named - declared
    rules_named = {exported_name(name) for name in _METRIC.findall(RULES.read_text())}
    assert rules_named <= declared, rules_named - declared


# ---------------------------------------------------------------- Prometheus


@pytest.fixture(scope="module")
def prometheus(sidecar: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prometheus scraping the sidecar every second; yields its base URL."""
    binary = need_tool("/usr/bin/prometheus", "prometheus")
    directory = tmp_path_factory.mktemp("prometheus")
    config = directory / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {RULES}\n"
        "scrape_configs:\n  - job_name: cdccheck\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{sidecar}']\n",
        encoding="utf-8",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (directory / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={directory / 'data'}",
                "--storage.tsdb.retention.time=1h",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        wait_for(lambda: get(f"{base}/-/ready")[0] == 200, timeout=60, what="Prometheus")
        # Enough scrapes for every rate window of the dashboard (10 s at 1 s).
        wait_for(
            lambda: bool(query(base, 'count_over_time(up{job="cdccheck"}[1m]) >= 15')),
            timeout=90,
            what="fifteen scrapes",
        )
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def query(base: str, expression: str) -> list[dict[str, Any]]:
    status, body = get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
    if status == 0:
        return []
    answer = json.loads(body)
    assert answer["status"] == "success", (expression, answer)
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def needs_redis_7(expression: str) -> bool:
    return set(_METRIC.findall(expression)) == {"cdccheck_group_lag"}


@pytest.mark.slow
def test_every_dashboard_expression_returns_data(
    prometheus: str, redis_server: EmbeddedRedis
) -> None:
    import redis

    client = redis.Redis.from_url(redis_server.url)
    version = tuple(int(part) for part in client.info()["redis_version"].split(".")[:2])
    client.close()
    empty: list[tuple[str, str]] = []
    checked = 0
    for title, expression in expressions(dashboard()):
        promql = substitute(expression)
        result = query(prometheus, promql)
        if needs_redis_7(expression) and version < (7, 0):
            # XINFO GROUPS has no lag before Redis 7, so the sidecar cannot export it.
            assert result == [], "lag exported by a Redis without lag?"
            continue
        values = [float(sample["value"][1]) for sample in result]
        if not any(math.isfinite(value) for value in values):
            empty.append((title, promql))
        checked += 1
    assert not empty, f"dashboard expressions without data: {empty}"
    assert checked >= 20


@pytest.mark.slow
def test_the_variables_have_values(prometheus: str) -> None:
    for variable in dashboard()["templating"]["list"]:
        match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable.get("definition", ""))
        if match is None:
            continue
        selector, label = substitute(match.group(1)), match.group(2)
        status, body = get(
            f"{prometheus}/api/v1/label/{label}/values?"
            + urllib.parse.urlencode({"match[]": selector})
        )
        assert status == 200
        assert json.loads(body)["data"], (variable["name"], selector)


@pytest.mark.slow
def test_prometheus_evaluates_the_alert_rules_without_error(prometheus: str) -> None:
    def evaluated() -> list[dict[str, Any]]:
        status, body = get(f"{prometheus}/api/v1/rules")
        if status != 200:
            return []
        rules = [rule for group in json.loads(body)["data"]["groups"] for rule in group["rules"]]
        return (
            rules if all(rule.get("lastEvaluation", "").startswith("2") for rule in rules) else []
        )

    wait_for(lambda: len(evaluated()) == 5, timeout=30, what="the rules to be evaluated")
    for rule in evaluated():
        assert rule["health"] == "ok", rule
    # The live traffic has failing events from the start: the share alert is
    # pending (its `for` is 10 minutes), drift has no hour of history yet.
    alerts = {
        alert["labels"]["alertname"]
        for alert in json.loads(get(f"{prometheus}/api/v1/alerts")[1])["data"]["alerts"]
    }
    assert "CdccheckRedisDown" not in alerts
    assert "CdccheckSidecarDown" not in alerts
    assert "CdccheckFailingShareHigh" in alerts
