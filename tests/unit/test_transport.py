"""The API client: its auth headers, and its retry policy with a scripted session, an injected sleep and an injected clock: which failures
are retried, for how long, and that a write whose answer was lost is never sent twice."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from typing import Any

import pytest
import requests

from qcdeploy.config import Credentials
from qcdeploy.errors import ApiError, ApiUnreachable, AuthError
from qcdeploy.quantconnect.transport import AmbiguousWrite, Client, RetryPolicy, auth_headers

OK = {"success": True, "projects": []}


def answer(status: int, body: Any = OK, **headers: str) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = json.dumps(body).encode() if not isinstance(body, bytes) else body
    r.headers.update(headers)
    return r


class Script:
    """A session whose post() plays answers (or raises exceptions) in order, counting each one sent."""

    def __init__(self, *steps: requests.Response | Exception) -> None:
        self.steps = list(steps)
        self.sent = 0

    def post(self, url: str, **kw: Any) -> requests.Response:
        self.sent += 1
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class Clock:
    """Monotonic time that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def client(script: Script, clock: Clock, **policy: Any) -> Client:
    return Client(
        "http://127.0.0.1:1/api/v2/",
        Credentials("1", "token"),
        session=script,  # type: ignore[arg-type]
        retry=RetryPolicy(**policy),
        sleep=clock.sleep,
        monotonic=lambda: clock.now,
    )


def test_the_delay_doubles_with_full_jitter_up_to_its_cap():
    policy = RetryPolicy(base=0.5, factor=2.0, max_delay=8.0)
    random.seed(7)
    for attempt, ceiling in ((0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        delays = [policy.delay(attempt, None) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, min(delays), max(delays))


def test_retry_after_is_obeyed_but_never_past_the_total_budget():
    policy = RetryPolicy(max_total=20.0)
    assert policy.delay(0, 3.0) == 3.0
    assert policy.delay(0, 600.0) == 20.0


@pytest.mark.parametrize(
    "failure",
    [
        answer(503, {"success": False}),
        answer(429, {}, **{"Retry-After": "2"}),
        requests.ConnectionError("Connection refused"),
        requests.ReadTimeout("slow"),
        answer(200, b"<html>garbled"),
    ],
    ids=["5xx", "429", "refused", "timeout", "garbled"],
)
def test_a_read_is_retried_through_transient_failures(failure: Any):
    clock, script = Clock(), Script(failure, failure, answer(200))
    assert client(script, clock).read("projects/read") == OK
    assert script.sent == 3 and len(clock.pauses) == 2


def test_a_429_tells_how_long_to_wait():
    clock, script = Clock(), Script(answer(429, {}, **{"Retry-After": "2"}), answer(200))
    client(script, clock).read("projects/read")
    assert clock.pauses == [2.0]


def test_retries_end_after_the_policy_allows_and_raise_the_last_failure():
    clock = Clock()
    script = Script(*[requests.ConnectionError("Connection refused")] * 4)
    with pytest.raises(ApiUnreachable, match="cannot reach the QuantConnect API"):
        client(script, clock, retries=3).read("projects/read")
    assert script.sent == 4 and len(clock.pauses) == 3


def test_no_retry_starts_once_the_time_budget_would_be_spent():
    clock = Clock()
    script = Script(*[answer(429, {}, **{"Retry-After": "25"})] * 5)
    with pytest.raises(ApiError, match="HTTP 429"):
        client(script, clock, retries=4, max_total=60.0).read("projects/read")
    assert clock.pauses == [25.0, 25.0] and script.sent == 3  # a third pause would end at 75 s


def test_a_write_whose_answer_was_lost_is_never_sent_again():
    for lost in (
        requests.ReadTimeout("slow"),
        answer(502, {}),
        answer(200, b"garbled"),
        requests.ConnectionError("reset"),
    ):
        clock, script = Clock(), Script(lost, answer(200))
        with pytest.raises(AmbiguousWrite, match="may or may not have been carried out"):
            client(script, clock).write("live/create", {"projectId": 1})
        assert script.sent == 1 and clock.pauses == []


def test_a_write_that_surely_was_not_received_is_retried():
    for refused in (requests.ConnectionError("Connection refused"), answer(429, {})):
        clock, script = Clock(), Script(refused, answer(200))
        assert client(script, clock).write("live/create", {"projectId": 1}) == OK
        assert script.sent == 2


def test_definite_answers_are_not_retried():
    for failure, error in (
        (answer(200, {"success": False, "errors": ["Project not found"]}), ApiError),
        (answer(400, {"errors": ["bad"]}), ApiError),
        (answer(401, {}), AuthError),
        (answer(200, {"success": False, "errors": ["Hash doesn't match UID: 1"]}), AuthError),
        (answer(302, {}, Location="https://elsewhere.example/api"), ApiError),
    ):
        clock, script = Clock(), Script(failure, answer(200))
        with pytest.raises(error):
            client(script, clock).read("projects/read")
        assert script.sent == 1 and clock.pauses == []


def test_each_retry_is_told_to_the_note_hook():
    clock, script, notes = Clock(), Script(answer(503, {}), answer(200)), list[str]()
    c = client(script, clock)
    c.note = notes.append
    c.read("projects/read")
    assert len(notes) == 1 and notes[0].startswith("projects/read: the API answered HTTP 503")
    assert "retrying in" in notes[0] and "(1 of 4)" in notes[0]


def test_a_body_that_cannot_be_json_is_refused_before_sending():
    clock, script = Clock(), Script(answer(200))
    with pytest.raises(ApiError, match="cannot be sent as JSON"):
        client(script, clock).write("live/create", {"x": float("nan")})
    assert script.sent == 0


def test_auth_headers_match_qc_scheme():
    headers = auth_headers(Credentials("42", "tok"), 1700000000.9)
    assert headers["Timestamp"] == "1700000000"
    user, _, digest = base64.b64decode(headers["Authorization"][6:]).decode().partition(":")
    assert user == "42" and digest == hashlib.sha256(b"tok:1700000000").hexdigest()
    assert "tok" not in repr(Credentials("42", "tok"))
