"""The Kubernetes example: consistent with itself, and its command line runs for real.

The sidecar's ``args`` are run as ``cdccheck`` would run them in the pod
(only the schema and report paths, the metrics port and the Redis URL are
pointed at this machine), so a renamed option or a wrong probe path fails
here, not in someone's cluster.
"""

from __future__ import annotations

import re
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from cdccheck.engine.schema import bundled_schema_path
from cdccheck.report.json import load_report
from tests.ops.support import ROOT
from tests.sidecar.support import consumer, finish, seed, wait_for

yaml = pytest.importorskip("yaml", reason="pyyaml (dev extra) reads the manifest")

MANIFEST = ROOT / "deploy" / "kubernetes" / "sidecar.yaml"
_QUANTITY = re.compile(r"^(\d+)(Mi|Gi)$")


def documents() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8")) if doc]


def pod() -> dict[str, Any]:
    (deployment,) = [doc for doc in documents() if doc["kind"] == "Deployment"]
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def sidecar_container() -> dict[str, Any]:
    (container,) = [c for c in pod()["initContainers"] if c["name"] == "cdccheck"]
    return container


def options(container: dict[str, Any]) -> dict[str, str]:
    pairs = [arg.removeprefix("--").split("=", 1) for arg in container["args"][1:]]
    return dict(pairs)


def mebibytes(quantity: str) -> int:
    match = _QUANTITY.match(quantity)
    assert match, quantity
    return int(match.group(1)) * (1024 if match.group(2) == "Gi" else 1)


def test_the_manifest_agrees_with_itself() -> None:
    kinds = [doc["kind"] for doc in documents()]
    assert kinds == ["ConfigMap", "Deployment"]
    container = sidecar_container()
    assert container["restartPolicy"] == "Always"  # a native sidecar
    assert container["args"][0] == "consume"
    flags = options(container)
    (port,) = [p for p in container["ports"] if p["name"] == "metrics"]
    assert int(flags["metrics-port"]) == port["containerPort"]
    # Probes and scrapes come from outside the pod: not the 127.0.0.1 default.
    assert flags["metrics-host"] == "0.0.0.0"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert flags["group"] != "comment-indexer"  # never the production consumers' group
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert flags["legacy"].startswith(mounts["schemas"] + "/")
    assert flags["report"].startswith(mounts["cdccheck-data"] + "/")
    schemas = next(doc for doc in documents() if doc["kind"] == "ConfigMap")["data"]
    assert {Path(flags["legacy"]).name, Path(flags["new"]).name} <= set(schemas)
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    assert mebibytes(requests["memory"]) <= mebibytes(limits["memory"])
    env = {e["name"] for e in container["env"]}
    assert {"CDCCHECK_REDIS_URL", "CDCCHECK_CONSUMER"} <= env
    assert pod()["terminationGracePeriodSeconds"] >= 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http(port: int, path: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def memory_mib(pid: int) -> float:
    """The high-water mark of a process's resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_sidecar_args_run_probe_green_and_stop_in_the_grace_period(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    container = sidecar_container()
    flags = options(container)
    entries = seed(redis_client, flags["stream"], 400, defect_rate=0.2)
    port = free_port()
    local = {
        "legacy": str(bundled_schema_path("legacy")),
        "new": str(bundled_schema_path("new")),
        "report": str(tmp_path / "report.json"),
        "metrics-port": str(port),
    }
    args = [f"--{name}={local.get(name, value)}" for name, value in flags.items()]
    # In the pod the URL and the consumer name come from the environment.
    process = consumer(
        redis_url,
        *args,
        "--start-id=0",
        log=tmp_path / "log",
        env={"CDCCHECK_CONSUMER": "comment-consumer-7d9f-x2kq"},
    )
    try:
        wait_for(lambda: http(port, "/readyz")[0] == 200, timeout=60, what="/readyz")
        assert http(port, "/healthz")[0] == 200
        wait_for(
            lambda: (
                redis_client.xinfo_groups(flags["stream"])[0]["pending"] == 0
                and redis_client.xinfo_groups(flags["stream"])[0]["last-delivered-id"]
                == entries[-1].id.encode()
            ),
            what="the stream to be consumed",
        )
        status, metrics = http(port, "/metrics")
        assert status == 200
        assert "cdccheck_ready 1.0" in metrics
        resident = memory_mib(process.pid)
        process.send_signal(signal.SIGTERM)
        code = finish(process, timeout=pod()["terminationGracePeriodSeconds"])
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0
    report = load_report(tmp_path / "report.json")
    assert report["totals"]["events"] == 400
    assert report["source"]["consumer"] == "comment-consumer-7d9f-x2kq"
    assert report["source"]["group"] == flags["group"]
    # The memory limit is far from what a sidecar uses; the request is of its order.
    limits = container["resources"]
    assert resident < mebibytes(limits["limits"]["memory"])
    assert resident < 2 * mebibytes(limits["requests"]["memory"])
