"""`qcdeploy watch`: reconcile between applies: report, heal what spec.heal asks for, notify, serve metrics."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from qcdeploy.cli.commands.options import HEALTH_WINDOW, env_option, seconds_option
from qcdeploy.cli.workspace import App
from qcdeploy.errors import ApiError, ConfigError, QcdeployError

if TYPE_CHECKING:
    from qcdeploy.cli.watching import PassReport, WatchOptions
    from qcdeploy.cli.watchserver import StatusServer


@click.command()
@click.argument("args", nargs=-1)
@env_option
@click.option("--once", is_flag=True, help="One pass, then exit: 0 all well, 2 found or healed something, 1 error.")
@click.option("--interval", default="60s", show_default=True, metavar="DURATION", help="Time between passes.")
@click.option("--pull", is_flag=True, help="Fast-forward the checkout from its upstream before each pass.")
@click.option("--sync", is_flag=True, help="Also apply manifest changes (off: only heals spec.heal asks for).")
@click.option("--ignore-unmanaged", is_flag=True, help="Do not report deployments no manifest or ledger claims.")
@click.option("--listen", metavar="HOST:PORT", help="Serve /metrics, /healthz and a status page (e.g. 127.0.0.1:9464).")
@seconds_option("--health-window", 30, 0, "Watch each healed deployment this long after Running.", HEALTH_WINDOW)
@seconds_option("--timeout", 900, 1, "Limit for each wait of a heal (compile, start).")
@click.pass_obj
def watch(
    app: App,
    args: tuple[str, ...],
    once: bool,
    interval: str,
    pull: bool,
    sync: bool,
    ignore_unmanaged: bool,
    listen: str | None,
    health_window: float,
    timeout: float,
) -> int:
    """Watch the live fleet: each pass reads what a plan reads and reports crashed, stopped-outside, drifted,
    unmanaged and orphaned deployments; heals what spec.heal asks for, through every gate apply has.

    Without --once it runs a pass every --interval until SIGTERM or Ctrl-C, which let the pass in progress
    (and any heal in it) finish, then exit 130.
    """
    from qcdeploy.cli.watching import WatchOptions
    from qcdeploy.planning.heal import seconds

    every = seconds(interval, "--interval") if not interval.replace(".", "").isdigit() else float(interval)
    if every <= 0:
        raise ConfigError("--interval must be more than 0s")
    options = WatchOptions(args, sync, health_window, timeout, include_unmanaged=not ignore_unmanaged)
    if listen and len(_environments(app, args)) > 1:
        raise ConfigError("--listen serves one environment's page: pass --env NAME (one watcher per environment)")
    server = _serve(app, listen, every) if listen else None
    stopping = threading.Event()
    try:
        with _signals(app, stopping):
            while True:
                code = _pass(app, options, pull, server, once)
                if once or stopping.wait(every):
                    break
    finally:
        if server is not None:
            server.close()
    return 130 if stopping.is_set() else code


def _pass(app: App, options: WatchOptions, pull: bool, server: StatusServer | None, once: bool) -> int:
    """One pass, printed; in a loop an error is reported and the next pass tries again."""
    from qcdeploy.cli.watching import run_pass

    found = False
    try:
        if pull:
            _pull()
        # without --env where the manifests define environments: each environment in turn, with its own ledger
        for here in [App(app.settings, app.environ, env=name) for name in _environments(app, options.args)] or [app]:
            report = run_pass(here, options)
            _print(here, report)
            found = found or report.found
            if server is not None:
                server.update(report, _at_stake(here, report))
    except QcdeployError as exc:
        if server is not None:
            server.failed("; ".join(exc.lines()), api=isinstance(exc, ApiError))
        if once:
            raise
        for line in exc.lines():
            app.err(line)
        return 1
    return 2 if found else 0


def _environments(app: App, args: tuple[str, ...]) -> list[str]:
    """The environments to watch when no --env is given (none: the manifests define none, or --env was given)."""
    if app.env is not None:
        return []
    from qcdeploy.cli.workspace import split_args
    from qcdeploy.manifests.load import environment_names

    return environment_names(split_args(args)[0] or ["."], app.environ)


def _at_stake(app: App, report: PassReport) -> dict[int, str]:
    """For the status page: each running deployment's portfolio in one line (live/portfolio/read, concurrently;
    read only when --listen serves the page)."""
    from concurrent.futures import ThreadPoolExecutor

    from qcdeploy.planning.exposure import read
    from qcdeploy.planning.resolve import resolve
    from qcdeploy.render.stake import brief

    state = report.run.state
    mine = {d.project.project_id for d in resolve(report.run.manifests, state)}
    projects = sorted(pid for pid in mine if pid in state.deployments and state.deployments[pid].active)
    if not projects:
        return {}
    api = app.api()
    with ThreadPoolExecutor(max_workers=min(8, len(projects))) as pool:
        return dict(zip(projects, pool.map(lambda pid: brief(read(api, pid)), projects), strict=True))


def _print(app: App, report: PassReport) -> None:
    from qcdeploy.render import watchreport

    done = [(h.decision.finding.name or "-", h.outcome, h.detail) for h in report.healed]
    at = report.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    app.out(watchreport.text(at, app.env or "", report.survey, done, report.notes), nl=False)


def _pull() -> None:
    """`git pull --ff-only` where the manifests' repository is rooted; nothing the user wrote becomes an option."""
    import subprocess

    from qcdeploy.manifests.repofile import anchor

    folder, _ = anchor()
    try:
        done = subprocess.run(
            ["git", "pull", "--ff-only", "--quiet"], cwd=folder, capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"--pull: git pull in {folder} failed: {exc}") from None
    if done.returncode != 0:
        raise ConfigError(f"--pull: git pull --ff-only in {folder} failed: {done.stderr.strip()[:300]}")


def _serve(app: App, listen: str, every: float) -> StatusServer:
    from qcdeploy.cli.watchserver import start

    return start(listen, app.environ.get("QCDEPLOY_LISTEN_TOKEN", ""), app.err, refresh=max(1, round(every)))


@contextmanager
def _signals(app: App, stopping: threading.Event) -> Iterator[None]:
    """First Ctrl-C or SIGTERM: finish the pass in progress (a heal in it included), then stop. A second Ctrl-C
    abandons it."""

    def handler(signum: int, frame: object) -> None:
        if stopping.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stopping.set()
        app.err(f"\nReceived {signal.Signals(signum).name}: finishing the pass in progress, then stopping.")

    from qcdeploy.cli.signals import installed

    with installed(handler, signal.SIGINT, signal.SIGTERM):
        yield
