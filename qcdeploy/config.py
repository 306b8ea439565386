"""Settings from global options and the environment: credentials, API URL, ledger path."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from qcdeploy.errors import ConfigError
from qcdeploy.stateurl import git_problem

DEFAULT_API_URL = "https://www.quantconnect.com/api/v2/"


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


def settings_from(
    options: Mapping[str, object], environ: Mapping[str, str], locate: Callable[[str], tuple[str, str]]
) -> Settings:
    """Merge global options over environment variables over defaults; locate(explicit) says where the ledger is
    and why (manifests.repofile.state_location: the manifest repository's .qcdeploy.yaml is read there)."""

    def pick(option: str, env: str, default: str = "") -> str:
        value = options.get(option)
        return str(value) if value else environ.get(env, default)

    state = locate(pick("state", "QCDEPLOY_STATE", ""))
    problem = git_problem(state[0])
    if problem:  # before any command runs, validate included
        raise ConfigError(f"state {state[0]!r} ({state[1]}): {problem}")
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
