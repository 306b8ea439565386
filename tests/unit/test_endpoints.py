"""The endpoint calls' own logic, against a scripted client: projects/read paging."""

from __future__ import annotations

import pytest

from qcdeploy.errors import ApiError
from qcdeploy.quantconnect.endpoints import Api


class Scripted:
    """Answers projects/read from a list of projects, paged or (ignore_paging) all at once."""

    def __init__(self, n: int, ignore_paging: bool = False) -> None:
        self.rows = [{"projectId": i} for i in range(n)]
        self.ignore_paging = ignore_paging
        self.asked: list[dict[str, object]] = []

    def read(self, endpoint, body=None):
        self.asked.append(dict(body or {}))
        if self.ignore_paging:
            return {"projects": self.rows}
        return {"projects": self.rows[body["start"] : body["end"]]}


def test_pages_ask_start_and_end_and_carry_the_organization():
    client = Scripted(5)
    rows = Api(client, projects_page=2).projects("org")  # type: ignore[arg-type]
    assert [r["projectId"] for r in rows] == [0, 1, 2, 3, 4]
    assert client.asked == [
        {"organizationId": "org", "start": 0, "end": 2},
        {"organizationId": "org", "start": 2, "end": 4},
        {"organizationId": "org", "start": 4, "end": 6},
    ]


def test_a_server_that_ignores_paging_is_read_once_and_kept_once():
    longer = Scripted(5, ignore_paging=True)
    assert len(Api(longer, projects_page=2).projects()) == 5 and len(longer.asked) == 1  # type: ignore[arg-type]
    exact = Scripted(2, ignore_paging=True)  # a full page, then the same page again: nothing new, so it stops
    assert len(Api(exact, projects_page=2).projects()) == 2 and len(exact.asked) == 2  # type: ignore[arg-type]


class Endless:
    """A broken server: every page full and new."""

    def read(self, endpoint, body=None):
        return {"projects": [{"projectId": body["start"] + i} for i in range(body["end"] - body["start"])]}


def test_a_list_that_never_ends_is_an_error_not_a_hang():
    with pytest.raises(ApiError, match="more than 1000 pages"):
        Api(Endless(), projects_page=1).projects()  # type: ignore[arg-type]
