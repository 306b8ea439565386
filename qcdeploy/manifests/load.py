"""Find and read manifests: YAML -> schema check -> ${env:} secrets -> Manifest values."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path as FsPath
from typing import Any

from qcdeploy import redact
from qcdeploy.errors import Location, Problem
from qcdeploy.files import Unreadable, read_text
from qcdeploy.manifests import environments, schema
from qcdeploy.manifests.environments import Environment
from qcdeploy.manifests.envref import has_reference, substitute
from qcdeploy.manifests.yamlsrc import Document, read_documents
from qcdeploy.model import KeyPath, dotted
from qcdeploy.stateurl import git_problem

MAX_FILE_BYTES = 4 * 1024 * 1024  # a manifest is a few hundred bytes; a fleet file of 1,000 is well under 1 MiB
MAX_DOCUMENTS = 20_000
# Only these spec fields are passed through to the API and may hold secrets.
SECRET_SECTIONS = ("brokerage", "dataProviders", "parameters", "notification")
DEFAULT_DATA_PROVIDERS = {"QuantConnectBrokerage": {"id": "QuantConnectBrokerage"}}
DEFAULTS: Mapping[str, Any] = {
    "compile": "latest",
    "versionId": "project",  # the project's own leanVersionId, as the lean CLI deploys (qc-api §4)
    "dataProviders": DEFAULT_DATA_PROVIDERS,
    "parameters": {},
    "automaticRedeploy": False,
    "state": "running",
    "onStop": "stop",
    "onReplace": "stop",  # a redeploy keeps the book: the new deployment takes over the broker's positions
    "protect": False,
}


@dataclass(frozen=True)
class Manifest:
    """One desired deployment as written, with defaults filled in and secrets resolved."""

    name: str
    spec: Mapping[str, Any]
    sensitive: frozenset[KeyPath]  # paths inside spec whose value came from the environment
    labels: Mapping[str, str]
    doc: Document = field(compare=False, repr=False)
    unset: frozenset[KeyPath] = frozenset()  # secrets whose variable is not set here (read-only commands only)

    def where(self, *path: str | int) -> Location:
        return self.doc.where(("spec", *path) if path else ("metadata", "name"))

    @property
    def running(self) -> bool:
        return bool(self.spec["state"] == "running")

    def references(self) -> tuple[tuple[KeyPath, str], ...]:
        """Each secret's spec path with the text it was written as (`${env:NAME}`, never the value)."""
        refs = []
        for path in sorted(self.sensitive, key=str):
            raw: Any = self.doc.value["spec"]
            for part in path:
                raw = raw[part]
            refs.append((path, str(raw)))
        return tuple(refs)


@dataclass
class LoadResult:
    """Everything read from the given paths."""

    manifests: list[Manifest] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    environment: Environment | None = None
    environments: list[str] = field(default_factory=list)
    every_environment: dict[str, Environment] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # documents of other tools, named under -v


def discover(paths: Sequence[str]) -> tuple[list[FsPath], list[Problem]]:
    """Every *.yaml/*.yml under paths (recursively, skipping hidden files and directories), sorted."""
    found: list[FsPath] = []
    problems: list[Problem] = []
    for raw in paths or ["."]:
        path = FsPath(raw)
        if path.is_dir():
            found.extend(sorted(_walk(path)))
        elif path.exists():  # a FIFO or device named here is refused when read, by name
            found.append(path)
        else:
            problems.append(Problem(f"{raw}: no such file or directory"))
    return found, problems


def _walk(root: FsPath) -> Iterable[FsPath]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:  # hidden files too: .qcdeploy.yaml, .pre-commit-config.yaml are settings
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                yield FsPath(dirpath, name)


class _Lenient(dict[str, str]):
    """An environment in which every variable exists: read-only commands need no broker secrets."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return ""


def load(
    paths: Sequence[str],
    environ: Mapping[str, str],
    env: str | None = None,
    every_environment: bool = False,
    require_secrets: bool = True,
) -> LoadResult:
    """Read, check and resolve every manifest under paths; collect all problems.

    With Environment documents present, `env` picks the overlay to apply; `every_environment` checks them all.
    Without `require_secrets`, a secret whose variable is not set is no problem: its path is in `Manifest.unset`.
    """
    if not require_secrets:
        result = _load(paths, _Lenient(environ), env, every_environment)
        result.manifests = [_with_unset(m, environ) for m in result.manifests]
        return result
    return _load(paths, environ, env, every_environment)


def environments_under(
    paths: Sequence[str], environ: Mapping[str, str], env: str
) -> tuple[Environment | None, dict[str, Environment], list[Problem]]:
    """Only the Environment documents under paths, and the one named env: all a command that reads or unlocks an
    environment's ledger needs. No deployment is resolved, so no secret need be set."""
    files, problems = discover(paths)
    result = LoadResult(problems=problems, files=len(files))
    docs = [d for d in _documents(files, result.problems, _limits(environ, result.problems)) if _ours(d, result)]
    envs = _environments(docs, result.problems)
    if env not in envs:
        known = f"known: {', '.join(sorted(envs))}" if envs else "the manifests define no environments"
        result.problems.extend(_unknown_environment(env, known, docs))
    return envs.get(env), envs, result.problems


def environment_names(paths: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """The names of the Environment documents under paths (none read further, no secret needed)."""
    files, problems = discover(paths)
    docs = [d for d in _documents(files, problems, _limits(environ, problems)) if _is_environment(d)]
    return sorted(_environments(docs, []))


def _with_unset(m: Manifest, environ: Mapping[str, str]) -> Manifest:
    unset = frozenset(path for path, ref in m.references() if substitute(ref, environ).missing)
    return replace(m, unset=unset) if unset else m


def _load(paths: Sequence[str], environ: Mapping[str, str], env: str | None, every_environment: bool) -> LoadResult:
    files, problems = discover(paths)
    result = LoadResult(problems=problems, files=len(files))
    docs = [d for d in _documents(files, result.problems, _limits(environ, result.problems)) if _ours(d, result)]
    envs, base = _environments(docs, result.problems), [d for d in docs if not _is_environment(d)]
    result.environments = sorted(envs)
    result.every_environment = envs
    if not envs:
        if env is not None:
            result.problems.append(Problem(f"no Environment named '{env}' (the manifests define no environments)"))
            return result
        _resolve_all(base, environ, result)
        return result
    if env is None and not every_environment:
        result.problems.append(Problem(f"the manifests define environments {', '.join(sorted(envs))}: pass --env NAME"))
        return result
    requested = [env] if env is not None else sorted(envs)
    by_env: dict[str, list[Manifest]] = {}
    for name in requested:
        if name not in envs:
            result.problems.extend(_unknown_environment(name, f"known: {', '.join(sorted(envs))}", docs))
            continue
        before = len(result.manifests)
        _resolve_environment(base, envs[name], environ, result)
        by_env[name] = result.manifests[before:]
    for name in sorted(set(envs) - set(by_env)):  # the others, only to see what they claim (no secret needed)
        other = LoadResult()
        _resolve_environment(base, envs[name], _Lenient(environ), other)
        by_env[name] = other.manifests
    result.problems.extend(across_environments(by_env, set(requested)))
    result.environment = envs.get(env) if env is not None else None
    return result


def across_environments(by_env: Mapping[str, Sequence[Manifest]], requested: set[str]) -> list[Problem]:
    """QuantConnect runs one live deployment per project, and a node runs one at a time: two environments'
    effective manifests on one project (or running on one node) would take each other's deployment for their own.
    Each clash is reported once, at the later environment's manifest, when either environment was asked for."""
    problems: list[Problem] = []
    claims: dict[tuple[str, Any], tuple[str, Manifest]] = {}
    for env in sorted(by_env):
        for m in by_env[env]:
            keys = [("project", m.spec["project"])] + ([("node", m.spec["node"])] if m.running else [])
            for noun, value in keys:
                first_env, first = claims.setdefault((noun, value), (env, m))
                if first_env == env or not {env, first_env} & requested:
                    continue
                problems.append(
                    Problem(
                        f"spec.{noun}: {noun} {value!r} is also used by '{first.name}' in environment {first_env} at "
                        f"{first.where(noun)} (one live deployment per {noun}: environments must not share one)",
                        m.where(noun),
                    )
                )
    return problems


def _limits(environ: Mapping[str, str], problems: list[Problem]) -> tuple[int, int]:
    """Bytes per file and documents in all, each overridable; hostile or runaway input stops here."""
    limits = []
    for name, default in (("QCDEPLOY_MAX_MANIFEST_BYTES", MAX_FILE_BYTES), ("QCDEPLOY_MAX_DOCUMENTS", MAX_DOCUMENTS)):
        raw = environ.get(name, "")
        if raw and not raw.isdigit():
            problems.append(Problem(f"{name} must be a whole number, not {raw!r}"))
        limits.append(int(raw) if raw.isdigit() else default)
    return limits[0], limits[1]


def _documents(files: Sequence[FsPath], problems: list[Problem], limits: tuple[int, int]) -> Iterable[Document]:
    max_bytes, max_documents = limits
    count = 0
    for file in files:
        try:
            text = read_text(file, max_bytes, "QCDEPLOY_MAX_MANIFEST_BYTES")
        except Unreadable as exc:
            problems.append(Problem(str(exc)))
            continue
        except OSError as exc:
            problems.append(Problem(f"{file}: cannot read: {exc.strerror or exc}"))
            continue
        for doc in read_documents(str(file), text):
            count += 1
            if count > max_documents:
                where = doc.where(())
                problems.append(Problem(f"more than {max_documents} documents (QCDEPLOY_MAX_DOCUMENTS)", where))
                return
            yield doc


KINDS = ("LiveDeployment", environments.KIND)


def _ours(doc: Document, result: LoadResult) -> bool:
    """A document of another tool (a CI config, a Kubernetes object) beside the manifests is skipped; one with
    our kind, or our apiVersion, is ours, and the schema says what is wrong with it."""
    if doc.problems or not isinstance(doc.value, dict):
        return True
    api, kind = doc.value.get("apiVersion"), doc.value.get("kind")
    if isinstance(api, str) and api.startswith("qcdeploy/") and isinstance(kind, str) and kind not in KINDS:
        # read as neither kind, its keys would be reported as a manifest's: one problem for one cause instead
        guess = difflib.get_close_matches(kind, KINDS, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        where = doc.where(("kind",))
        result.problems.append(Problem(f"kind: must be {' or '.join(map(repr, KINDS))}, not {kind!r}{hint}", where))
        return False
    if kind in KINDS or (isinstance(api, str) and api.startswith("qcdeploy/")):
        return True
    if api is None and kind is None and not {"metadata", "spec"} & set(doc.value):
        result.skipped.append(f"{doc.where(())}: not a qcdeploy document (no apiVersion or kind)")
        return False
    if api is not None and kind is not None:
        result.skipped.append(f"{doc.where(())}: {api} {kind} is another tool's document")
        return False
    return True


def _is_environment(doc: Document) -> bool:
    return isinstance(doc.value, dict) and doc.value.get("kind") == environments.KIND


def _unknown_environment(name: str, known: str, docs: Sequence[Document]) -> list[Problem]:
    """`no Environment named X`, unless X's own document is there and was refused (one cause, one problem)."""
    written = {_name(d) for d in docs if _is_environment(d)}
    return [] if name in written else [Problem(f"no Environment named '{name}' ({known})")]


def _environments(docs: Sequence[Document], problems: list[Problem]) -> dict[str, Environment]:
    found: dict[str, Environment] = {}
    for doc in filter(_is_environment, docs):
        # a YAML-level problem (a duplicate key, a bad number) first: a second `defaults:` must not quietly win
        doc_problems = list(doc.problems) or schema.check(doc, schema.ENVIRONMENT_SCHEMA)
        if doc_problems:
            problems.extend(doc_problems)
            continue
        name = doc.value["metadata"]["name"]
        if name in found:
            first = found[name].doc.where(("metadata", "name"))
            where = doc.where(("metadata", "name"))
            problems.append(Problem(f"metadata.name: environment '{name}' is also defined at {first}", where))
            continue
        state = doc.value["spec"].get("state")
        problem = git_problem(state) if isinstance(state, str) else None
        if problem:  # a pull request can edit an Environment file: its state URL must never reach git as an option
            problems.append(Problem(f"spec.state: {problem}", doc.where(("spec", "state"))))
        found[name] = Environment(name, state, doc)
    return found


def _resolve_all(docs: Sequence[Document], environ: Mapping[str, str], result: LoadResult) -> None:
    manifests = [m for m in (_manifest(doc, environ, result.problems) for doc in docs) if m is not None]
    result.problems.extend(cross_check(manifests))
    result.manifests.extend(manifests)


def _resolve_environment(
    docs: Sequence[Document], env: Environment, environ: Mapping[str, str], result: LoadResult
) -> None:
    named = [d for d in docs if _name(d) is not None]
    unnamed = [d for d in docs if _name(d) is None]
    problems: list[Problem] = [p for d in unnamed for p in _unnamed(d)]
    if not unnamed:  # a patch of a document that cannot be read is no problem of its own: one cause, one problem
        problems += environments.check_references(env, [n for n in map(_name, named) if n])
    overlaid = [o for o in (environments.overlay(d, env) for d in named) if o is not None]
    manifests = []
    for doc in overlaid:
        found: list[Problem] = []
        manifest = _manifest(doc, environ, found)
        problems += [environments.place_missing(p, doc, env) for p in found]
        if manifest is not None:
            manifests.append(manifest)
    problems.extend(cross_check(manifests))
    seen = set(map(str, result.problems))
    for p in problems:  # a problem in a base file shows once, not once per environment
        if str(p) not in seen:
            seen.add(str(p))
            result.problems.append(p)
    result.manifests.extend(manifests)


def _unnamed(doc: Document) -> list[Problem]:
    """A base document no environment can patch (unreadable, or without a name): only why, not what follows."""
    if doc.problems or not isinstance(doc.value, dict):
        return list(doc.problems) or [Problem("a manifest must be a mapping (apiVersion, kind, metadata, spec)")]
    return [p for p in schema.check(doc) if p.message.startswith("metadata")]


def _name(doc: Document) -> str | None:
    metadata = doc.value.get("metadata") if isinstance(doc.value, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


def _manifest(doc: Document, environ: Mapping[str, str], out: list[Problem]) -> Manifest | None:
    out.extend(doc.problems)
    if doc.problems:
        return None
    if not isinstance(doc.value, dict):
        out.append(Problem("a manifest must be a mapping (apiVersion, kind, metadata, spec)", doc.where(())))
        return None
    problems = schema.check(doc) + _float_project(doc) + _module_keys(doc)  # a guessed key beside a missing one
    if not problems:
        problems = _misplaced_references(doc)
    if problems:
        out.extend(problems)
        return None
    spec = {**DEFAULTS, **doc.value["spec"]}
    sensitive: set[KeyPath] = set()
    for section in SECRET_SECTIONS:
        if section in spec:
            spec[section] = _resolve(spec[section], (section,), doc, environ, sensitive, out)
    spec["versionId"] = str(spec["versionId"])
    spec["parameters"] = {k: _stringify(v) for k, v in spec["parameters"].items()}
    metadata = doc.value["metadata"]
    return Manifest(metadata["name"], spec, frozenset(sensitive), metadata.get("labels", {}), doc)


def _module_keys(doc: Document) -> list[Problem]:
    """Keys a brokerage or data provider with a fixed key set does not take, and values it does not allow."""
    from qcdeploy.manifests.brokerages import module_problems

    spec = doc.value.get("spec") if isinstance(doc.value, dict) else None
    if not isinstance(spec, dict):
        return []
    providers = spec.get("dataProviders")
    places: list[tuple[tuple[str, ...], Any]] = [(("brokerage",), spec.get("brokerage"))]
    places += [(("dataProviders", str(k)), v) for k, v in providers.items()] if isinstance(providers, dict) else []
    return [
        Problem(f"spec.{dotted((*path, key))}: {message}", doc.where(("spec", *path, key)))
        for path, settings in places
        if isinstance(settings, dict)
        for key, message in module_problems(settings)
    ]


def _float_project(doc: Document) -> list[Problem]:
    """JSON Schema counts 1000.0 as an integer; a project id is written as one, or it is a name."""
    spec = doc.value.get("spec") if isinstance(doc.value, dict) else None
    ref = spec.get("project") if isinstance(spec, dict) else None
    if isinstance(ref, float):
        where = doc.where(("spec", "project"))
        return [Problem(f"spec.project: {ref!r} is not a project id (write it as an integer) or a name", where)]
    return []


def _misplaced_references(doc: Document) -> list[Problem]:
    """${...} is only allowed where secrets may go; elsewhere it would hide a name or id."""
    problems = []
    for section in ("apiVersion", "kind", "metadata", "spec"):
        value = doc.value.get(section)
        items = value.items() if isinstance(value, dict) and section == "spec" else [(None, value)]
        for key, item in items:
            if key in SECRET_SECTIONS:
                continue
            path: KeyPath = (section, key) if key else (section,)
            for sub_path, text in _strings(item, path):
                if has_reference(text):
                    problems.append(
                        Problem(
                            f"{dotted(sub_path)}: ${{...}} references are only allowed in "
                            f"spec.{', spec.'.join(SECRET_SECTIONS)}",
                            doc.where(sub_path),
                        )
                    )
    return problems


def _strings(value: Any, path: KeyPath) -> Iterable[tuple[KeyPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))


def _resolve(
    value: Any,
    path: KeyPath,
    doc: Document,
    environ: Mapping[str, str],
    sensitive: set[KeyPath],
    out: list[Problem],
) -> Any:
    if isinstance(value, dict):
        for key in value:
            if isinstance(key, str) and has_reference(key):
                where = doc.where(("spec", *path, key))
                out.append(
                    Problem(f"spec.{dotted((*path, key))}: ${{...}} references are allowed in values only", where)
                )
        return {k: _resolve(v, (*path, k), doc, environ, sensitive, out) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, (*path, i), doc, environ, sensitive, out) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    sub = substitute(value, environ)
    where = doc.where(("spec", *path))
    for name in sub.missing:
        out.append(Problem(f"spec.{dotted(path)}: environment variable {name} is not set", where))
    for name in sub.names:
        if not isinstance(environ, _Lenient) and name in environ and environ[name] == "":
            out.append(Problem(f"spec.{dotted(path)}: environment variable {name} is set but empty", where))
    for ref in sub.invalid:
        out.append(
            Problem(
                f"spec.{dotted(path)}: unsupported reference {ref} (use ${{env:NAME}}, or $${{ for a literal)",
                where,
            )
        )
    if sub.sensitive:
        sensitive.add(path)
        redact.register(sub.value)
        for name in sub.names:  # "pw:${env:X}": an error echoing only X's part must not print it either
            redact.register(environ.get(name, ""))
    return sub.value


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def short_secrets(manifests: Sequence[Manifest], environ: Mapping[str, str], minimum: int = 8) -> list[Problem]:
    """Secrets shorter than `minimum`: their salted hash in the ledger can be brute-forced by whoever reads it."""
    warnings = []
    for m in manifests:
        for path, ref in m.references():
            for name in sorted(set(substitute(ref, environ).names)):
                if 0 < len(environ.get(name, "")) < minimum:
                    where = m.where(*path)
                    warnings.append(
                        Problem(
                            f"spec.{dotted(path)}: the secret in {name} is shorter than {minimum} characters; whoever "
                            "can read the ledger could guess it from its salted hash (see SECURITY.md)",
                            where,
                        )
                    )
    return warnings


def unset_secrets(manifests: Sequence[Manifest], environ: Mapping[str, str]) -> list[Problem]:
    """One warning per environment variable a secret needs and this shell does not set, at its first use, naming
    every deployment (and environment) that needs it."""
    users: dict[str, list[str]] = {}
    first: dict[str, Location] = {}
    for m in manifests:
        env = m.labels.get("qcdeploy/environment")
        for path, ref in m.references():
            if path not in m.unset:
                continue
            for name in substitute(ref, environ).missing:
                first.setdefault(name, m.where(*path))
                who = f"{m.name}{f' ({env})' if env else ''}"
                if who not in users.setdefault(name, []):
                    users[name].append(who)
    return [
        Problem(f"{name} is not set here; apply needs it for {', '.join(users[name])}", first[name]) for name in users
    ]


def cross_check(manifests: Sequence[Manifest]) -> list[Problem]:
    """Problems between manifests: duplicate names, one project or node claimed twice."""
    problems: list[Problem] = []
    problems += _duplicates(manifests, lambda m: m.name, "metadata.name", "name", ())
    problems += _duplicates(manifests, lambda m: m.spec["project"], "spec.project", "project", ("project",))
    running = [m for m in manifests if m.running]
    problems += _duplicates(running, lambda m: m.spec["node"], "spec.node", "node", ("node",))
    return problems


def _duplicates(manifests: Sequence[Manifest], key: Any, label: str, noun: str, path: tuple[str, ...]) -> list[Problem]:
    seen: dict[Any, Manifest] = {}
    problems = []
    for m in manifests:
        k = key(m)
        first = seen.setdefault(k, m)
        if first is not m:
            problems.append(
                Problem(
                    f"{label}: {noun} {k!r} is also used by '{first.name}' at {first.where(*path)}",
                    m.where(*path),
                )
            )
    return problems
