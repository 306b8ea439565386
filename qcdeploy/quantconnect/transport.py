"""QuantConnect API v2 client: auth headers, JSON POSTs, the error envelope (the http ledger backend has its own
session, for a different server)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from qcdeploy.config import Credentials
from qcdeploy.errors import ApiError, ApiUnreachable, AuthError

Json = dict[str, Any]
_AUTH_PREFIXES = ("Hash doesn't match", "UserID not valid", "Timestamp")


class AmbiguousWrite(ApiError):
    """A write was sent but its answer was lost: it may or may not have taken effect."""


def auth_headers(creds: Credentials, now: float) -> dict[str, str]:
    """Basic auth of user id and sha256(token:timestamp), plus the Timestamp header (qc-api §1)."""
    stamp = str(int(now))
    digest = hashlib.sha256(f"{creds.api_token}:{stamp}".encode()).hexdigest()
    basic = base64.b64encode(f"{creds.user_id}:{digest}".encode()).decode()
    return {"Authorization": f"Basic {basic}", "Timestamp": stamp}


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and in total time (Argo CD's shape)."""

    retries: int = 4  # after the first attempt
    base: float = 0.5  # seconds before the first retry (before jitter)
    factor: float = 2.0
    max_delay: float = 8.0
    max_total: float = 60.0  # no retry starts after this many seconds of trying

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_total)
        return min(self.max_delay, self.base * self.factor**attempt) * random.uniform(0.5, 1.0)


def backoff_sleep(seconds: float) -> None:
    """The pause between attempts of a call, for clients given no `sleep` of their own. A module-level seam: the
    test suite replaces it to check the delays without waiting them out."""
    time.sleep(seconds)


class Client:
    """Calls endpoints by name; reads retry on transient failures, writes never blindly."""

    def __init__(
        self,
        base_url: str,
        creds: Credentials,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy = RetryPolicy(),
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] | None = None,
        note: Callable[[str], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.creds = creds
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retry = retry
        self.clock = clock
        self.sleep = sleep
        self.server_date: str | None = None  # the Date header of the last answer (doctor measures clock skew)
        self.note = note  # told of every retry (-v)
        self.monotonic = monotonic  # measures the time spent retrying, against RetryPolicy.max_total

    def read(self, endpoint: str, body: Mapping[str, Any] | None = None) -> Json:
        """A call without side effects: retried with backoff on connection errors, timeouts, 429 and 5xx."""
        return self._retrying(lambda: self._call(endpoint, body), retry_ambiguous=True)

    def put_form(self, endpoint: str, fields: Mapping[str, str]) -> Json:
        """An idempotent update sent form-encoded (projects/update, as the lean CLI sends it): retried like a read."""
        return self._retrying(lambda: self._call(endpoint, fields, form=True), retry_ambiguous=True)

    def write(self, endpoint: str, body: Mapping[str, Any]) -> Json:
        """A call with side effects: retried only when it surely was not received (refused, 429).
        An answer lost after sending raises AmbiguousWrite, for the caller to reconcile."""
        return self._retrying(lambda: self._call(endpoint, body, write=True), retry_ambiguous=False)

    def _retrying(self, attempt: Callable[[], Json], retry_ambiguous: bool) -> Json:
        started = self.monotonic()
        for n in range(self.retry.retries + 1):
            try:
                return attempt()
            except _Transient as exc:
                if isinstance(exc.final, AmbiguousWrite) and not retry_ambiguous:
                    raise exc.final from None
                pause = self.retry.delay(n, exc.retry_after)
                if n == self.retry.retries or self.monotonic() - started + pause > self.retry.max_total:
                    raise exc.final from None
                if self.note is not None:
                    self.note(f"{exc.final}; retrying in {pause:.1f}s ({n + 1} of {self.retry.retries})")
                (self.sleep or backoff_sleep)(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _call(self, endpoint: str, body: Mapping[str, Any] | None, write: bool = False, form: bool = False) -> Json:
        url = self.base_url + endpoint
        headers = auth_headers(self.creds, self.clock())
        try:
            data = _encode(body or {}, form)
        except (TypeError, ValueError) as exc:  # nothing was sent: a definite failure, never retried
            raise ApiError(f"{endpoint}: the request cannot be sent as JSON ({exc})") from None
        headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
        try:
            response = self.session.post(url, data=data, headers=headers, timeout=self.timeout, allow_redirects=False)
        except requests.ConnectTimeout:
            raise _Transient(ApiUnreachable(f"{endpoint}: could not connect to {self.base_url} (timed out)")) from None
        except requests.Timeout:
            raise _Transient(self._lost(endpoint, write, f"no answer within {self.timeout[1]:g}s")) from None
        except requests.ConnectionError as exc:
            sent = write and not _refused(exc)
            error = (
                self._lost(endpoint, sent, "the connection failed")
                if sent
                else ApiUnreachable(
                    f"{endpoint}: cannot reach the QuantConnect API at {self.base_url} (connection failed)"
                )
            )
            raise _Transient(error) from None
        except requests.RequestException as exc:  # a garbled answer (truncated, bad encoding, ...): after sending
            why = f"the answer was unreadable ({type(exc).__name__})"
            raise _Transient(self._lost(endpoint, write, why)) from None
        self.server_date = response.headers.get("Date") or self.server_date
        return _parse(endpoint, response, write)

    def _lost(self, endpoint: str, write: bool, why: str) -> ApiError:
        if write:
            return AmbiguousWrite(f"{endpoint}: {why}; the request may or may not have been carried out")
        return ApiUnreachable(f"{endpoint}: {why}")


def _encode(body: Mapping[str, Any], form: bool) -> bytes:
    if form:
        return urlencode(list(body.items())).encode()
    return json.dumps(dict(body), allow_nan=False, separators=(",", ":")).encode()


class _Transient(Exception):
    def __init__(self, final: ApiError, retry_after: float | None = None) -> None:
        super().__init__(str(final))
        self.final = final
        self.retry_after = retry_after


def _refused(exc: requests.ConnectionError) -> bool:
    """True when the connection was never made, so a write cannot have been received."""
    text = str(exc)
    return any(s in text for s in ("Connection refused", "Name or service not known", "NewConnectionError"))


def _parse(endpoint: str, response: requests.Response, write: bool) -> Json:
    status = response.status_code
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if 300 <= status < 400:  # never followed: a body with a broker password must not go to another host
        where = urlsplit(response.headers.get("Location", "")).netloc or "(no Location)"
        raise ApiError(f"{endpoint}: the API answered HTTP {status}, a redirect to {where}; redirects are not followed")
    messages = _messages(payload)
    if status == 401 or (messages and messages[0].startswith(_AUTH_PREFIXES)):
        raise AuthError(_auth_message(endpoint, payload, f"HTTP {status}"))
    if status == 429 or status >= 500:
        # a 5xx is the server's failure, never a verdict on the credentials (lean-cli e55f2a54, qc-api §13)
        what = " (a failure on QuantConnect's side)" if status >= 500 else ""
        error = ApiError(f"{endpoint}: the API answered HTTP {status}{what}{_detail(payload)}")
        if write and status != 429:
            error = AmbiguousWrite(f"{endpoint}: HTTP {status}; the request may or may not have been carried out")
        raise _Transient(error, _retry_after(response.headers.get("Retry-After")))
    if not isinstance(payload, dict):
        what = f"the API answered HTTP {status} with a body that is not a JSON object"
        if 200 <= status < 300:  # garbled after the server acted: a write may have happened, a read can be repeated
            lost = AmbiguousWrite(f"{endpoint}: {what}; the request may or may not have been carried out")
            raise _Transient(lost if write else ApiError(f"{endpoint}: {what}"))
        raise ApiError(f"{endpoint}: {what}")
    if status >= 400:
        raise ApiError(f"{endpoint}: the API answered HTTP {status}{_detail(payload)}")
    if payload.get("success") is False:
        raise ApiError(f"{endpoint}: {'; '.join(messages) or 'the API reported a failure'}")
    return payload


def _messages(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return []
    for key in ("errors", "messages", "error"):
        value = payload.get(key)
        if isinstance(value, list) and value:
            return [str(v) for v in value]
        if isinstance(value, str) and value:
            return [value]
    message = payload.get("Message")
    return [str(message)] if message else []


def _detail(payload: Any) -> str:
    messages = _messages(payload)
    return f": {'; '.join(messages)}" if messages else ""


def _auth_message(endpoint: str, payload: Any, fallback: str) -> str:
    detail = (_messages(payload) or [fallback])[0].split(" UID:")[0]
    return (
        f"{endpoint}: the QuantConnect API refused the credentials ({detail}). Check QC_USER_ID and "
        "QC_API_TOKEN, and that this machine's clock is right"
    )


def _retry_after(value: str | None) -> float | None:
    try:
        return min(60.0, max(0.0, float(value))) if value else None
    except ValueError:
        return None
