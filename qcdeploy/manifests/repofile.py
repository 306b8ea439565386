"""The manifest repository's own settings file, .qcdeploy.yaml: where the ledger lives, change windows.

Read with the manifests' bounded reader and loader (a symlink to /dev/zero, a FIFO, a 50,000-deep nesting or a
5,001-digit number is a `file:line:col` error, never a hang or a crash), once per version of the file.
"""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

from qcdeploy.errors import ConfigError
from qcdeploy.files import Unreadable, read_text
from qcdeploy.manifests.schema import allowed_hint
from qcdeploy.manifests.yamlsrc import read_documents

DEFAULT_STATE = ".qcdeploy/state.json"
MAX_BYTES = 1024 * 1024  # a settings file is a few lines; windows and freezes for years are a few KiB
KNOWN = frozenset({"state", "windows", "freezes", "market-hours", "heal", "notify"})

CONFIG_FILES = (".qcdeploy.yaml", ".qcdeploy.yml")


def anchor(start: Path | None = None) -> tuple[Path, str]:
    """Where relative ledger paths are rooted, and why: the folder holding .qcdeploy.yaml, else the git work
    tree's root, else the current directory, so that every subdirectory of a checkout sees one ledger."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_FILES:
            if os.path.lexists(folder / name):  # a FIFO or a link to a device too: refused when read, not skipped
                return folder, f"beside {folder / name}"
        if (folder / ".git").exists():
            return folder, f"at the root of the git work tree {folder}"
    return here, "in the current directory (no .qcdeploy.yaml or git work tree above it)"


def repo_setting(key: str, start: Path | None = None) -> str:
    """A setting from the manifest repository's .qcdeploy.yaml: here, or in a parent up to the git root."""
    _, raw = repo_settings(start)
    value = raw.get(key)
    return "" if value is None else str(value)


def repo_settings(start: Path | None = None) -> tuple[str, dict[str, Any]]:
    """The manifest repository's .qcdeploy.yaml (its path and contents; "" and {} when there is none). Parsed once
    per version of the file: the ledger's location and the change windows both come from it."""
    folder, _ = anchor(start)
    for name in CONFIG_FILES:
        path = folder / name
        if os.path.lexists(path):
            try:
                stat = path.stat()
            except OSError as exc:
                raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
            return str(path), copy.deepcopy(_parsed_settings(str(path), stat.st_mtime_ns, stat.st_size))
    return "", {}


@functools.lru_cache(maxsize=8)
def _parsed_settings(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    return _read_settings(Path(path))


def state_location(explicit: str, start: Path | None = None) -> tuple[str, str]:
    """The ledger's URL and why it is that one; relative file paths from .qcdeploy.yaml or the default are
    resolved against the anchor, never the current directory (explicit ones are the user's own words)."""
    if explicit:
        return explicit, "from --state or QCDEPLOY_STATE"
    folder, why = anchor(start)
    configured = repo_setting("state", start)
    value, source = (configured, f"from .qcdeploy.yaml {why}") if configured else (DEFAULT_STATE, f"the default, {why}")
    return _rooted(value, folder), source


def _rooted(value: str, folder: Path) -> str:
    if value.startswith(("git:", "http://", "https://")):
        return value
    prefix, path = ("file:", value[5:]) if value.startswith("file:") else ("", value)
    return prefix + str(folder / path) if not Path(path).is_absolute() else value


def _read_settings(path: Path) -> dict[str, Any]:
    """Through the manifests' bounded reader and YAML loader: a regular file of at most MAX_BYTES, every limit a
    manifest has (depth, values, numbers, keys), each problem at its file:line:col."""
    try:
        text = read_text(path, MAX_BYTES)
    except (Unreadable, OSError) as exc:
        raise ConfigError(str(exc) if isinstance(exc, Unreadable) else f"{path}: cannot read: {exc}") from None
    docs = list(read_documents(str(path), text))
    problems = [p for d in docs for p in d.problems]
    if problems:
        hint = ' (quote values with a colon: state: "git:")' if "mapping values" in problems[0].message else ""
        raise ConfigError(f"{problems[0]}{hint}")
    if len(docs) > 1:
        raise ConfigError(f"{docs[1].where(())}: .qcdeploy.yaml holds one document")
    raw = docs[0].value if docs else {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must be a mapping such as `state: git:`")
    places = {str(key): docs[0].where((key,)) for key in set(raw) - KNOWN}
    if places:
        key, *more = sorted(places, key=lambda k: (places[k].line, places[k].col))
        also = f"; also unknown: {', '.join(more)}" if more else ""
        raise ConfigError(f"{places[key]}: unknown setting '{key}'{allowed_hint(key, KNOWN)}{also}")
    return raw
