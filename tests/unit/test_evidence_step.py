"""A failed deployment's own account of why (apply/evidence.py), with live/logs/read replaced by a fake: the last
lines of that deployment's log are kept scrubbed of secrets, and an empty log or a failed read is a note, never a
failure of the change."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from qcdeploy.apply.evidence import EMPTY, LOG_LINES, attach_logs
from qcdeploy.apply.outcome import Result
from qcdeploy.errors import ApiError
from qcdeploy.model import Action
from tests.builders import change


class Api:
    """live/logs/read of deployment L-2 of project 7 holding `lines`; any other read is refused."""

    def __init__(self, lines: list[str] | Exception) -> None:
        self.lines = lines

    def live_logs(self, pid: int, deploy_id: str, start: int, end: int) -> Any:
        if isinstance(self.lines, Exception):
            raise self.lines
        assert (pid, deploy_id) == (7, "L-2")
        return {"length": len(self.lines), "deploymentOffset": 0, "logs": self.lines[start:end]}


def attached(lines: list[str] | Exception) -> Result:
    r = Result(change(Action.CREATE))
    c: Any = SimpleNamespace(api=Api(lines))
    attach_logs(c, r, 7, "L-2")
    return r


def test_the_last_lines_of_the_failed_deployments_log_are_kept_scrubbed():
    lines = [f"line {i}" for i in range(LOG_LINES + 5)] + ["connecting to https://ann:hunter22@broker.example"]
    r = attached(lines)
    assert r.log_of == "L-2" and r.logs_note == ""
    assert r.logs == (*lines[-LOG_LINES:-1], "connecting to https://ann:(sensitive)@broker.example")


def test_an_empty_log_is_said_to_be_empty_so_far():
    r = attached([])
    assert r.log_of == "L-2" and r.logs == () and r.logs_note == EMPTY


def test_a_log_that_cannot_be_read_is_a_note_not_a_failure():
    r = attached(ApiError("live/logs/read: HTTP 500"))
    assert r.log_of == "L-2" and r.logs == ()
    assert r.logs_note == "its log could not be read: live/logs/read: HTTP 500"
