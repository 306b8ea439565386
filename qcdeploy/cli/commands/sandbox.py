"""`qcdeploy sandbox`: the local QuantConnect API emulator, whose command lives with it (qcdeploy.sandbox.command)."""

from __future__ import annotations

from qcdeploy.sandbox.command import sandbox

__all__ = ["sandbox"]
