"""`watch --listen`: /metrics (Prometheus text format, by prometheus_client), /healthz and the status page, served
from the newest pass's snapshot on a thread of its own. Loopback by default; any other address needs a token."""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from qcdeploy.errors import ConfigError

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from qcdeploy.cli.watching import PassReport


@dataclass
class Snapshot:
    rows: list[dict[str, Any]] = field(default_factory=list)
    drift: int = 0
    last_pass: float = 0.0  # epoch seconds of the newest pass that finished
    last_pass_text: str = ""
    duration: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)  # failed passes: "api" (the API failed), "other"
    problem: str = ""
    heals: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (environment, name, outcome) -> count


class StatusServer:
    def __init__(self, interval_hint: int = 60) -> None:
        self.httpd: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()
        self.snapshot = Snapshot()
        self.refresh = interval_hint

    @property
    def address(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"{host!s}:{port}"

    def update(self, report: PassReport, at_stake: Mapping[int, str] | None = None) -> None:
        from qcdeploy.planning.board import rows
        from qcdeploy.planning.resolve import resolve

        run = report.run
        found = rows(
            resolve(run.manifests, run.state),
            run.state,
            run.ledger.entries,
            run.ledger.history,
            report.policies,
            run.plan.environment,
            report.at,
        )
        found = [{**r, "at_stake": (at_stake or {}).get(r["project_id"], "")} for r in found]
        with self.lock:
            snap = self.snapshot
            snap.rows, snap.drift, snap.problem = found, len(report.survey.decisions), ""
            snap.last_pass, snap.duration = report.at.timestamp(), report.duration
            snap.last_pass_text = report.at.strftime("%Y-%m-%dT%H:%M:%SZ")
            for h in report.healed:
                k = (run.plan.environment, h.decision.finding.name or "-", h.outcome)
                snap.heals[k] = snap.heals.get(k, 0) + 1

    def failed(self, problem: str, api: bool) -> None:
        with self.lock:
            kind = "api" if api else "other"
            self.snapshot.errors[kind] = self.snapshot.errors.get(kind, 0) + 1
            self.snapshot.problem = problem

    def close(self) -> None:
        if self.httpd is None:
            return
        self.httpd.shutdown()
        self.httpd.server_close()


def start(listen: str, token: str, say: Callable[[str], None], refresh: int = 60) -> StatusServer:
    """Serve on a thread of its own; the page refreshes itself every `refresh` seconds (the watch interval)."""
    host, port = _address(listen)
    if not _loopback(host) and not token:
        raise ConfigError(
            f"--listen {listen}: serving beyond loopback needs a token: set QCDEPLOY_LISTEN_TOKEN "
            "(clients send Authorization: Bearer TOKEN)"
        )
    server = StatusServer(refresh)
    try:
        httpd = ThreadingHTTPServer((host, port), _handler(token, server))
    except OSError as exc:
        raise ConfigError(f"--listen {listen}: cannot listen: {exc.strerror or exc}") from None
    server.httpd = httpd
    threading.Thread(target=httpd.serve_forever, name="qcdeploy-watch-http", daemon=True).start()
    say(f"Serving /metrics, /healthz and the status page on http://{server.address}/")
    return server


def _address(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen {listen!r}: expected HOST:PORT such as 127.0.0.1:9464")
    return host, int(port)


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _handler(token: str, server: StatusServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_ref = server

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path != "/healthz" and token and not _authorised(self.headers.get("Authorization", ""), token):
                return self._send(401, "text/plain", b"a token is needed: Authorization: Bearer TOKEN\n")
            route = {"/metrics": self._metrics, "/healthz": self._healthz, "/": self._page}.get(path)
            if route is None:
                return self._send(404, "text/plain", b"not found\n")
            route()

        def _metrics(self) -> None:
            from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

            registry = CollectorRegistry()
            registry.register(_Collector(self.server_ref))
            self._send(200, CONTENT_TYPE_LATEST, generate_latest(registry))

        def _healthz(self) -> None:
            with self.server_ref.lock:
                snap = self.server_ref.snapshot
                ok, problem = snap.last_pass > 0 and not snap.problem, snap.problem
            body = b"ok\n" if ok else f"not ok: {problem or 'no pass finished yet'}\n".encode()
            self._send(200 if ok else 503, "text/plain", body)

        def _page(self) -> None:
            from qcdeploy.redact import scrub
            from qcdeploy.render.statuspage import page

            with self.server_ref.lock:
                snap = self.server_ref.snapshot
                html = page(snap.rows, snap.last_pass_text, snap.problem, self.server_ref.refresh)
            self._send(200, "text/html; charset=utf-8", scrub(html).encode("utf-8"))

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are not the watcher's output

    return Handler


def _authorised(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


class _Collector:
    """The metrics of the newest snapshot, built at each scrape."""

    def __init__(self, server: StatusServer) -> None:
        self.server = server

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        with self.server.lock:
            snap = self.server.snapshot
            rows, heals = list(snap.rows), dict(snap.heals)
            drift, last, duration, errors = snap.drift, snap.last_pass, snap.duration, dict(snap.errors)
        labels = ["environment", "deployment", "project"]
        status = GaugeMetricFamily(
            "qcdeploy_deployment_status", "1 for the observed status", labels=[*labels, "status"]
        )
        healthy = GaugeMetricFamily("qcdeploy_deployment_healthy", "1 when Running as desired", labels=labels)
        uptime = GaugeMetricFamily("qcdeploy_deployment_uptime_seconds", "Since launched, if active", labels=labels)
        restarts = GaugeMetricFamily("qcdeploy_deployment_restarts", "Heals within heal.per", labels=labels)
        now = time.time()
        for r in rows:
            key = [r["environment"], r["name"], str(r["project_id"])]
            status.add_metric([*key, str(r["observed"] or "None")], 1)
            healthy.add_metric(key, 1 if r["health"] == "Healthy" else 0)
            launched = r.get("launched_epoch")
            uptime.add_metric(key, max(0.0, now - launched) if launched else 0.0)
            restarts.add_metric(key, r["restarts"])
        yield from (status, healthy, uptime, restarts)
        yield GaugeMetricFamily("qcdeploy_drift_findings", "Findings of the newest pass", value=drift)
        yield GaugeMetricFamily("qcdeploy_last_pass_timestamp_seconds", "When the newest pass ran", value=last)
        yield GaugeMetricFamily("qcdeploy_last_pass_duration_seconds", "How long it took", value=duration)
        failed = CounterMetricFamily("qcdeploy_pass_errors", "Passes that failed, by cause", labels=["kind"])
        for kind in ("api", "other"):
            failed.add_metric([kind], errors.get(kind, 0))
        yield failed
        heal_total = CounterMetricFamily(
            "qcdeploy_heals", "Heals and syncs by outcome", labels=["environment", "deployment", "outcome"]
        )
        for (env, name, outcome), count in sorted(heals.items()):
            heal_total.add_metric([env, name, outcome], count)
        yield heal_total
