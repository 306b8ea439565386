"""What happened to each change: outcome, detail, and what apply learned along the way."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from qcdeploy.errors import QcdeployError
from qcdeploy.ledger.journal import JournalEntry
from qcdeploy.model import Change


class Outcome(str, Enum):
    DONE = "done"
    ROLLED_BACK = "rolled back"  # the new deployment failed; what ran before runs again
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"


@dataclass
class Result:
    """What happened to one change so far."""

    change: Change
    outcome: Outcome = Outcome.NOT_ATTEMPTED
    detail: str = ""
    compile_id: str | None = None
    project_modified: str | None = None
    code_hash: str = ""  # the project's files as compiled (files/read, read before the compile)
    parameters_set: bool = False  # the project has the manifest's parameters (a replace sets them before its stop)
    deploy_id: str | None = None
    unclear: bool = False  # a live/create was sent and whether it took effect could not be told
    body: dict[str, Any] | None = None  # the live/create body, built and checked before anything stops
    stopped: bool = False  # its old deployment is (or may be) gone: a replace must now be finished
    flat: str = ""  # non-empty: nothing runs for this strategy, and why
    lasting: bool = False  # its failure needs a fix, not a re-run
    carried: dict[str, Any] | None = None  # a paper replace: the cash and holdings read just before its stop
    window_due: bool = False  # it runs; its health window is still to be watched
    journal: JournalEntry | None = None  # its entry in the ledger's journal of changes in flight, once written
    drained: str = ""  # what beforeStop did before the stop (the command sent and the wait), for the summary
    log_of: str = ""  # the new deployment whose log `logs` holds (it failed, crashed or was rolled back)
    logs: tuple[str, ...] = ()  # its last lines, scrubbed (live/logs/read)
    logs_note: str = ""  # why there are none: the read failed, or the log is still empty

    @property
    def ok(self) -> bool:
        return self.outcome not in (Outcome.FAILED, Outcome.ROLLED_BACK)


class StepFailed(QcdeployError):
    """One step of one change failed; the others carry on. `lasting`: running apply again cannot fix it (a build
    error, a manifest the API refuses, a busy node); the summary says to fix the cause instead."""

    def __init__(self, message: str, lasting: bool = False) -> None:
        super().__init__(message)
        self.lasting = lasting


class Interrupted(QcdeployError):
    """Ctrl-C or SIGTERM cut a wait short before anything irreversible happened."""


class Abandoned(Interrupted):
    """A second Ctrl-C or SIGTERM: a wait that must end in a known state (a stop's) was given up; the journal
    keeps the change for the next run."""
