"""Find and read manifests: YAML -> schema check -> ${env:} secrets -> Manifest values."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from qcdeploy import redact, schema
from qcdeploy.envref import has_reference, substitute
from qcdeploy.errors import Location, Problem
from qcdeploy.yamlsrc import Document, Path, dotted, read_documents

# Only these spec fields are passed through to the API and may hold secrets.
SECRET_SECTIONS = ("brokerage", "dataProviders", "parameters", "notification")
DEFAULT_DATA_PROVIDERS = {"QuantConnectBrokerage": {"id": "QuantConnectBrokerage"}}
DEFAULTS: Mapping[str, Any] = {
    "compile": "latest",
    "versionId": "-1",
    "dataProviders": DEFAULT_DATA_PROVIDERS,
    "parameters": {},
    "automaticRedeploy": False,
    "state": "running",
    "onStop": "stop",
    "protect": False,
}


@dataclass(frozen=True)
class Manifest:
    """One desired deployment as written, with defaults filled in and secrets resolved."""

    name: str
    spec: Mapping[str, Any]
    sensitive: frozenset[Path]  # paths inside spec whose value came from the environment
    labels: Mapping[str, str]
    doc: Document = field(compare=False, repr=False)

    def where(self, *path: str | int) -> Location:
        return self.doc.where(("spec", *path) if path else ("metadata", "name"))

    @property
    def running(self) -> bool:
        return bool(self.spec["state"] == "running")


@dataclass
class LoadResult:
    """Everything read from the given paths."""

    manifests: list[Manifest] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def discover(paths: Sequence[str]) -> tuple[list[FsPath], list[Problem]]:
    """Every *.yaml/*.yml under paths (recursively, skipping hidden directories), sorted."""
    files: list[FsPath] = []
    problems: list[Problem] = []
    for raw in paths or ["."]:
        path = FsPath(raw)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(_walk(path)))
        else:
            problems.append(Problem(f"{raw}: no such file or directory"))
    return files, problems


def _walk(root: FsPath) -> Iterable[FsPath]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.endswith((".yaml", ".yml")):
                yield FsPath(dirpath, name)


def load(paths: Sequence[str], environ: Mapping[str, str]) -> LoadResult:
    """Read, check and resolve every manifest under paths; collect all problems."""
    files, problems = discover(paths)
    result = LoadResult(problems=problems, files=len(files))
    for file in files:
        try:
            text = file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(Problem(f"{file}: cannot read: {exc}"))
            continue
        for doc in read_documents(str(file), text):
            manifest = _manifest(doc, environ, result.problems)
            if manifest is not None:
                result.manifests.append(manifest)
    result.problems.extend(cross_check(result.manifests))
    return result


def _manifest(doc: Document, environ: Mapping[str, str], out: list[Problem]) -> Manifest | None:
    out.extend(doc.problems)
    if doc.problems:
        return None
    if not isinstance(doc.value, dict):
        out.append(Problem("a manifest must be a mapping (apiVersion, kind, metadata, spec)", doc.where(())))
        return None
    problems = schema.check(doc)
    if not problems:
        problems = _misplaced_references(doc)
    if problems:
        out.extend(problems)
        return None
    spec = {**DEFAULTS, **doc.value["spec"]}
    sensitive: set[Path] = set()
    for section in SECRET_SECTIONS:
        if section in spec:
            spec[section] = _resolve(spec[section], (section,), doc, environ, sensitive, out)
    spec["versionId"] = str(spec["versionId"])
    spec["parameters"] = {k: _stringify(v) for k, v in spec["parameters"].items()}
    metadata = doc.value["metadata"]
    return Manifest(metadata["name"], spec, frozenset(sensitive), metadata.get("labels", {}), doc)


def _misplaced_references(doc: Document) -> list[Problem]:
    """${...} is only allowed where secrets may go; elsewhere it would hide a name or id."""
    problems = []
    for section in ("apiVersion", "kind", "metadata", "spec"):
        value = doc.value.get(section)
        items = value.items() if isinstance(value, dict) and section == "spec" else [(None, value)]
        for key, item in items:
            if key in SECRET_SECTIONS:
                continue
            path: Path = (section, key) if key else (section,)
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


def _strings(value: Any, path: Path) -> Iterable[tuple[Path, str]]:
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
    path: Path,
    doc: Document,
    environ: Mapping[str, str],
    sensitive: set[Path],
    out: list[Problem],
) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, (*path, k), doc, environ, sensitive, out) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, (*path, i), doc, environ, sensitive, out) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    sub = substitute(value, environ)
    where = doc.where(("spec", *path))
    for name in sub.missing:
        out.append(Problem(f"spec.{dotted(path)}: environment variable {name} is not set", where))
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
    return sub.value


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
