"""One sticky pull-request comment per environment: found by its hidden marker, updated in place."""

from __future__ import annotations

from qcdeploy.action.github import GitHub


def upsert(github: GitHub, issue: int, marker: str, body: str, changes: bool) -> str:
    """Create or update the comment holding `marker` (its first line); what was done: created, updated,
    unchanged or skipped. A plan without changes posts nothing new, but an existing comment is brought up to date
    (a stale "1 to create" must not stay on the pull request)."""
    mine = [c for c in github.comments(issue) if _first_line(c.get("body")) == marker]
    if not mine:
        if not changes:
            return "skipped"
        github.create_comment(issue, body)
        return "created"
    if mine[0].get("body") == body:
        return "unchanged"
    github.update_comment(int(mine[0]["id"]), body)
    return "updated"


def _first_line(body: object) -> str:
    return body.partition("\n")[0].strip() if isinstance(body, str) else ""
