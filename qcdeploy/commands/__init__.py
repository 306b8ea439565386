"""One module per command; heavy imports happen inside the command functions."""

from __future__ import annotations

from qcdeploy.commands.adopt import adopt
from qcdeploy.commands.apply import apply
from qcdeploy.commands.doctor import doctor
from qcdeploy.commands.drift import drift
from qcdeploy.commands.export import export
from qcdeploy.commands.plan import plan
from qcdeploy.commands.sandbox import sandbox
from qcdeploy.commands.schema import schema
from qcdeploy.commands.state import state
from qcdeploy.commands.status import status
from qcdeploy.commands.unlock import force_unlock
from qcdeploy.commands.validate import validate

COMMANDS = (validate, plan, apply, adopt, export, status, drift, doctor, state, force_unlock, sandbox, schema)
