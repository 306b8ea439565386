"""Settings from global options and the environment: credentials, API URL, ledger path."""

from __future__ import annotations

import copy
import functools
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from qcdeploy.errors import ConfigError

DEFAULT_API_URL = "https://www.quantconnect.com/api/v2/"
DEFAULT_STATE = ".qcdeploy/state.json"


@dataclass(frozen=True)
class Credentials:
    """Who calls the API. The token never appears in repr or output."""

    user_id: str
    api_token: str = field(repr=False)
    organization_id: str = ""


@dataclass(frozen=True)
class Settings:
    """Global options after defaults and environment."""

    api_url: str
    state_path: str
    user_id: str = ""
    api_token: str = field(default="", repr=False)
    organization_id: str = ""
    verbose: bool = False
    color: bool = False
    state_source: str = ""  # why the ledger is where it is (said by `state show` and -v)

    def credentials(self) -> Credentials:
        missing = [n for n, v in (("QC_USER_ID", self.user_id), ("QC_API_TOKEN", self.api_token)) if not v]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} not set: export your QuantConnect user id and API token "
                "(or pass --user-id/--api-token)"
            )
        return Credentials(self.user_id, self.api_token, self.organization_id)


def check_api_url(url: str) -> str:
    """The API base URL with a trailing slash, under the one URL rule; no credentials in it."""
    parts = check_url(url, "QC_API_URL")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("QC_API_URL must not carry a user or password (user:pass@): set QC_USER_ID and QC_API_TOKEN")
    return url if url.endswith("/") else url + "/"


def check_url(url: str, what: str) -> SplitResult:
    """The one URL rule (the API and the HTTP state backend): http(s) only; read identically by the standard
    library and by urllib3, which requests connects with (else a `\\@` trick sends the request elsewhere than
    the check read); plain http only to a loopback host."""
    from urllib3.exceptions import LocationParseError  # what requests parses with; loaded only when checking
    from urllib3.util import parse_url

    shown = _without_password(url)
    if any(c.isspace() or c == "\\" or ord(c) < 32 for c in url):
        raise ConfigError(f"{what} {shown!r} contains a backslash, a space or a control character")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} {shown!r} is not an http(s) URL")
    try:
        seen = parse_url(url)
        same = (seen.host or "").lower().strip("[]") == parts.hostname.lower() and seen.port == parts.port
    except (LocationParseError, ValueError):
        same = False
    if not same:
        raise ConfigError(f"{what} {shown!r} is read differently by different URL parsers; write it plainly")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConfigError(
            f"{what} {shown!r} uses plain http to a non-loopback host; credentials would travel "
            "unencrypted. Use https (plain http is allowed only for 127.0.0.1, ::1 or localhost)"
        )
    return parts


def _without_password(url: str) -> str:
    return re.sub(r"(//[^/@:]*:)[^@/]*@", r"\1(sensitive)@", url)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


CONFIG_FILES = (".qcdeploy.yaml", ".qcdeploy.yml")


def anchor(start: Path | None = None) -> tuple[Path, str]:
    """Where relative ledger paths are rooted, and why: the folder holding .qcdeploy.yaml, else the git work
    tree's root, else the current directory, so that every subdirectory of a checkout sees one ledger."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_FILES:
            if (folder / name).is_file():
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
        if path.is_file():
            stat = path.stat()
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
    import yaml

    try:
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f'{where}: invalid YAML: {exc.problem} (quote values with a colon: state: "git:")') from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must be a mapping such as `state: git:`")
    known = {"state", "windows", "freezes", "market-hours", "heal", "notify"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return raw


def settings_from(options: Mapping[str, object], environ: Mapping[str, str]) -> Settings:
    """Merge global options over environment variables over defaults."""

    def pick(option: str, env: str, default: str = "") -> str:
        value = options.get(option)
        return str(value) if value else environ.get(env, default)

    state = state_location(pick("state", "QCDEPLOY_STATE", ""))
    return Settings(
        api_url=pick("api_url", "QC_API_URL", DEFAULT_API_URL),
        state_path=state[0],
        state_source=state[1],
        user_id=pick("user_id", "QC_USER_ID"),
        api_token=pick("api_token", "QC_API_TOKEN"),
        organization_id=pick("organization_id", "QC_ORGANIZATION_ID"),
        verbose=bool(options.get("verbose")),
        color=bool(options.get("color")),
    )
