"""Ctrl-C and SIGTERM during apply's run: the first finishes what is in flight, the second stops waiting, the third
exits at once (docs/design.md, "Interrupts"). Every interrupted run exits 130."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

INTERRUPTED = 130  # the shell's code for SIGINT; SIGTERM too, as Terraform
ABANDONED = threading.Event()  # a second interrupt came: the process exits without waiting for steps left behind


def leave_if_abandoned(code: int) -> None:
    """After a second interrupt, once the summary is out and the lock released: exit now, without joining a step
    still stuck in a request (the journal holds its change)."""
    if ABANDONED.is_set():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


_FIRST = (
    "\nReceived {sig}: no new step will start; the steps in flight are carried to a safe point (a replace whose "
    "stop has landed goes on to its create), then the summary. {sig} again to stop waiting."
)
_SECOND = (
    "\nReceived {sig} again: no longer waiting. The summary follows, with a FLAT line for every strategy left down; "
    "the ledger's journal keeps each change in flight for the next apply. Once more to exit at once."
)
_THIRD = (
    "\nReceived {sig} a third time: exiting now. The ledger's journal holds each change in flight: run plan. Its "
    "lock stays behind (a run on this host takes it over; elsewhere `qcdeploy force-unlock ID`)."
)


@contextmanager
def handled(say: Callable[[str], None], interrupted: threading.Event, abandoned: threading.Event) -> Iterator[None]:
    """First Ctrl-C or SIGTERM: start nothing new, finish what is in flight. Second: stop waiting, summary with
    FLAT lines. Third: exit at once (the journal, written before every irreversible step, still holds)."""

    def handler(signum: int, frame: object) -> None:
        sig = signal.Signals(signum).name
        if abandoned.is_set():
            say(_THIRD.format(sig=sig))
            os._exit(130)
        if interrupted.is_set():
            abandoned.set()
            ABANDONED.set()
            say(_SECOND.format(sig=sig))
            return
        interrupted.set()
        say(_FIRST.format(sig=sig))

    with installed(handler, signal.SIGINT, signal.SIGTERM):
        yield


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, `kill`) is a Ctrl-C: the same messages and exit code 130, in every phase."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with installed(interrupt, signal.SIGTERM):
        yield


@contextmanager
def installed(handler: Callable[[int, object], None], *signals: signal.Signals) -> Iterator[None]:
    """`handler` for these signals while the block runs, the previous handlers back after it; nothing outside the
    main thread, where Python lets no handler be set."""
    try:
        previous = {s: signal.signal(s, handler) for s in signals}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
