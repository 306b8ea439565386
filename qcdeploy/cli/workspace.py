"""What every command shares: settings, scrubbed output, and the manifests -> plan pipeline."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qcdeploy.config import Settings, check_api_url
from qcdeploy.errors import ConfigError, ProblemsError
from qcdeploy.redact import register, scrub

if TYPE_CHECKING:
    from qcdeploy.ledger.backends.base import Backend
    from qcdeploy.ledger.lineage import Memory as LineageMemory
    from qcdeploy.ledger.store import Ledger
    from qcdeploy.manifests.environments import Environment
    from qcdeploy.manifests.load import Manifest
    from qcdeploy.model import Desired, LiveState, Plan
    from qcdeploy.planning.windows import Locate, Schedule
    from qcdeploy.quantconnect.background import Background
    from qcdeploy.quantconnect.endpoints import Api


@dataclass(frozen=True)
class Workspace:
    """Which environment a run is for, its document and every environment's, and where its ledger is. Decided
    once per run: from the manifests when the command loads them, else from the Environment documents alone."""

    env: str | None
    environment: Environment | None
    every_environment: Mapping[str, Environment]
    ledger_url: str


@dataclass
class App:
    """Passed to every command as the click context object."""

    settings: Settings
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    env: str | None = None  # --env (or QCDEPLOY_ENV, or a saved plan's): read when the workspace is decided
    json_summary: bool = False  # stdout is reserved for a JSON document
    rollback_interrupted: bool = False  # finish an interrupted replace by redeploying what ran before
    _api: Api | None = None
    _backend: Backend | None = None
    _loaded: dict[tuple[str, ...], list[Manifest]] = field(default_factory=dict)
    _reading: Background[LiveState] | None = None
    _workspace: Workspace | None = None

    @property
    def environment(self) -> Environment | None:
        return self.workspace().environment

    @property
    def every_environment(self) -> Mapping[str, Environment]:
        return self.workspace().every_environment

    def workspace(self) -> Workspace:
        """The run's workspace; without manifests loaded first, found from the Environment documents under the
        working directory (reading or unlocking a ledger needs no deployment manifest and no secret)."""
        if self._workspace is None:
            if self.env is None:
                self._settle(None, {})
            else:
                from qcdeploy.manifests.load import environments_under

                environment, every, problems = environments_under(["."], self.environ, self.env)
                if problems:
                    raise ProblemsError(problems)
                self._settle(environment, every)
        assert self._workspace is not None
        return self._workspace

    def need_env(self, command: str, paths: Sequence[str] = (".",)) -> None:
        """A command that reads one ledger, run where the manifests define environments, needs --env: each
        environment has a ledger of its own, and the base location holds none of them."""
        if self.env is not None or not paths:
            return
        from qcdeploy.manifests.load import environment_names

        names = environment_names(list(paths), self.environ)
        if names:
            raise ConfigError(
                f"the manifests define environments {', '.join(names)}, each with its own ledger: "
                f"pass --env NAME (for example: qcdeploy {command} --env {names[0]})"
            )

    def _settle(self, environment: Environment | None, every: Mapping[str, Environment]) -> None:
        from qcdeploy.manifests.environments import state_url

        if self._workspace is not None:  # decided once: a second source must agree with the first
            assert self._workspace.env == self.env, (self._workspace.env, self.env)
            return
        base = self.settings.state_path
        url = state_url(base, environment) if environment is not None else base
        self._workspace = Workspace(self.env, environment, dict(every), url)

    def out(self, text: str = "", nl: bool = True) -> None:
        click.echo(scrub(text), nl=nl)

    def progress(self, text: str = "", nl: bool = True) -> None:
        """What a command says while it works: stdout, or stderr when stdout carries JSON."""
        click.echo(scrub(text), nl=nl, err=self.json_summary)

    def err(self, text: str) -> None:
        click.echo(scrub(text), err=True)

    def style(self, text: str, colour: str) -> str:
        return click.style(text, fg=colour) if self.settings.color else text

    def api(self) -> Api:
        if self._api is None:
            from qcdeploy.quantconnect.endpoints import Api
            from qcdeploy.quantconnect.transport import Client, RetryPolicy

            creds = self.settings.credentials()
            register(creds.api_token)
            timeout = _seconds(self.environ, "QCDEPLOY_HTTP_TIMEOUT", 60.0)
            retry = RetryPolicy(
                retries=int(_seconds(self.environ, "QCDEPLOY_RETRIES", 4, minimum=0)),
                max_total=_seconds(self.environ, "QCDEPLOY_RETRY_MAX_SECONDS", 60.0),
            )
            url = check_api_url(self.settings.api_url)
            note = self.err if self.settings.verbose else None
            self._api = Api(Client(url, creds, timeout=(min(timeout, 10.0), timeout), retry=retry, note=note))
        return self._api

    def load(self, paths: Sequence[str], require_secrets: bool = True) -> list[Manifest]:
        """Manifests under paths (with the --env overlay applied), or every problem at once. Read once.

        Read-only commands pass require_secrets=False: a secret they would never send need not be set."""
        from qcdeploy.manifests import load as manifests_mod  # YAML and schemas: not for --help

        key = (*paths, f"secrets={require_secrets}")
        if key not in self._loaded:
            result = manifests_mod.load(paths, self.environ, self.env, require_secrets=require_secrets)
            if result.problems:
                raise ProblemsError(result.problems)
            self._settle(result.environment, result.every_environment)
            self._loaded[key] = result.manifests
        return self._loaded[key]

    def backend(self) -> Backend:
        if self._backend is None:
            from qcdeploy.ledger.backends import open_backend

            self._backend = open_backend(self.workspace().ledger_url, self.settings.state_path)
            if self.settings.verbose:
                self.err(f"ledger: {self._backend.describe()} ({self.settings.state_source})")
        return self._backend

    def elsewhere(self) -> dict[str, str]:
        """deployId -> environment, for what the other environments' ledgers manage (read, never locked)."""
        from qcdeploy.ledger.backends import open_backend
        from qcdeploy.ledger.store import Ledger
        from qcdeploy.manifests.environments import state_url

        found: dict[str, str] = {}
        for name, other in sorted(self.every_environment.items()):
            if name != self.env:
                url = state_url(self.settings.state_path, other)
                ledger = Ledger.load(open_backend(url, self.settings.state_path), self.lineage_memory())
                found.update({e.deploy_id: name for e in ledger.entries.values()})
        return found

    def ledger(self) -> Ledger:
        from qcdeploy.ledger.store import Ledger

        return Ledger.load(self.backend(), self.lineage_memory())

    def lineage_memory(self) -> LineageMemory:
        """What this checkout last read at each ledger location (QCDEPLOY_LINEAGE_FILE, or .qcdeploy/lineage.json
        beside .qcdeploy.yaml or at the git root): a ledger seen here that answers "none" is refused."""
        from qcdeploy.ledger.lineage import Memory
        from qcdeploy.manifests.repofile import anchor

        path = self.environ.get("QCDEPLOY_LINEAGE_FILE") or str(anchor()[0] / ".qcdeploy" / "lineage.json")
        return Memory(Path(path))

    def change_window(self, now: datetime | None = None) -> tuple[bool, str, str]:
        """(configured, why changes are not allowed now or "", the next allowed time): .qcdeploy.yaml's windows
        and freezes, with the environment's added."""
        from datetime import timezone

        from qcdeploy.planning.windows import verdict

        schedule = self.change_schedule()
        if schedule.empty:
            return False, "", ""
        why, nxt = verdict(schedule, now or datetime.now(timezone.utc))
        return True, why, nxt

    def change_schedule(self) -> Schedule:
        """.qcdeploy.yaml's windows and freezes, with the environment's added; a bad entry is named at its
        file:line:col."""
        from qcdeploy.manifests.repofile import repo_settings
        from qcdeploy.planning.windows import schedule_from

        path, raw = repo_settings()
        sources: list[tuple[str | Locate, Mapping[str, Any]]] = [(settings_locator(path), raw)]
        env = self.environment
        if env is not None:
            doc, label = env.doc, f"(environment {env.name})"
            sources.append((lambda keys: f"{doc.where(('spec', *keys))} {label}", env.spec))
        return schedule_from(sources)

    def promotion(self, plan: Plan, state: LiveState, now: datetime | None = None) -> tuple[str, list[str], list[str]]:
        """The environment's paper-first gate: (what it asks, what keeps the plan from passing, notes); ("", [],
        []) when the environment has none."""
        from datetime import timezone

        from qcdeploy.ledger.backends import open_backend
        from qcdeploy.ledger.store import Ledger
        from qcdeploy.manifests.environments import state_url
        from qcdeploy.planning.promotion import gate_from, own_parameters, problems, unchecked_code

        env = self.environment
        gate = gate_from(env.spec.get("promotion"), f"{env.doc.file} (environment {env.name})") if env else None
        if gate is None or env is None:
            return "", [], []
        source_env = self.every_environment.get(gate.source)
        if source_env is None:
            raise ConfigError(
                f"{env.doc.file}: promotion.from names environment {gate.source!r}, which has no document"
            )
        url = state_url(self.settings.state_path, source_env)
        source = Ledger.load(open_backend(url, self.settings.state_path), self.lineage_memory())
        own = {c.name: own_parameters(env.spec, c.name) for c in plan.changes}
        at = now or datetime.now(timezone.utc)
        found = problems(gate, plan.changes, source.entries, source.salt, state, at, own)
        notes = [
            f"{name}: deployed from another project in {gate.source}, so only its parameters and health are compared"
            for name in unchecked_code(plan.changes, source.entries)
        ]
        return gate.describe(), found, notes

    def prefetch(self) -> None:
        """Start reading the live state now (it needs no manifest): the API answers while the manifests load."""
        from qcdeploy.quantconnect.background import Background
        from qcdeploy.quantconnect.decode import read_state

        if self._reading is None:
            self._reading = Background(lambda: read_state(self.api(), self.settings.organization_id))

    def observe(self, manifests: Sequence[Manifest]) -> tuple[LiveState, list[Desired]]:
        """Read the live state (three calls; the prefetched read, once) and resolve every manifest against it."""
        from qcdeploy.planning.resolve import resolve
        from qcdeploy.quantconnect.decode import read_state

        reading, self._reading = self._reading, None
        state = reading.result() if reading is not None else read_state(self.api(), self.settings.organization_id)
        return state, resolve(manifests, state)


def repo_root(start: Path | None = None) -> Path:
    """The root of the git work tree holding start (the current directory), else where .qcdeploy.yaml is, else
    start: saved plans keep their paths relative to it, so they apply from any directory of the checkout."""
    from qcdeploy.manifests.repofile import anchor

    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return anchor(here)[0]


def split_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """An argument naming an existing file or directory is a path, any other a name."""
    paths = [a for a in args if Path(a).exists()]
    names = [a for a in args if not Path(a).exists()]
    return paths, names


def check_names(names: Sequence[str], manifests: Sequence[Manifest], extra: Sequence[str] = ()) -> None:
    """Every name given must be a manifest (or, for --target/--prune, a ledger entry)."""
    known = {m.name for m in manifests} | set(extra)
    unknown = [n for n in names if n not in known]
    if unknown:
        hints = [h for h in (_did_you_mean(n, known) for n in unknown) if h]
        raise ConfigError(
            f"no manifest or path named {', '.join(map(repr, unknown))} "
            f"(known deployments: {', '.join(sorted(known)) or 'none'})" + "".join(f"; {h}" for h in hints)
        )


def _did_you_mean(name: str, known: set[str]) -> str:
    """The nearest deployment name or existing path to a mistyped argument, as a hint ("" when none is near)."""
    import difflib

    folder = Path(name).parent
    try:
        entries = [str(folder / p.name) if str(folder) != "." else p.name for p in folder.iterdir()]
    except OSError:
        entries = []
    paths = [e + "/" if Path(e).is_dir() else e for e in entries if not Path(e).name.startswith(".")]
    close = difflib.get_close_matches(name.rstrip("/"), [*sorted(known), *(p.rstrip("/") for p in paths)], n=1)
    if not close:
        return ""
    shown = next((p for p in paths if p.rstrip("/") == close[0]), close[0])
    return f"did you mean {shown!r}?"


def _seconds(environ: Mapping[str, str], name: str, default: float, minimum: float = 0.001) -> float:
    """A number from the environment, with a clear error when it is not one."""
    try:
        value = float(environ.get(name, default))
    except ValueError:
        raise ConfigError(f"{name} must be a number") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}")
    return value


def poll_interval(environ: Mapping[str, str]) -> float:
    """How often waits ask the API; QCDEPLOY_POLL_INTERVAL (seconds) to tune it."""
    return _seconds(environ, "QCDEPLOY_POLL_INTERVAL", 0.5)


def use_color(no_color: bool, environ: Mapping[str, str]) -> bool:
    return not no_color and "NO_COLOR" not in environ and sys.stdout.isatty()


def settings_locator(path: str) -> Callable[[tuple[str | int, ...]], str]:
    """file:line:col of a path in .qcdeploy.yaml, read again (bounded, as it was read) only when an error needs it."""

    def locate(keys: tuple[str | int, ...]) -> str:
        from qcdeploy.files import Unreadable, read_text
        from qcdeploy.manifests.repofile import MAX_BYTES
        from qcdeploy.manifests.yamlsrc import read_documents

        try:
            docs = list(read_documents(path, read_text(Path(path), MAX_BYTES)))
        except (Unreadable, OSError):
            return path
        return str(docs[0].where(keys)) if docs else path

    return locate
