"""One module per command; heavy imports happen inside the command functions."""

from __future__ import annotations

from qcdeploy.cli.commands.adopt import adopt
from qcdeploy.cli.commands.apply import apply
from qcdeploy.cli.commands.command import command
from qcdeploy.cli.commands.doctor import doctor
from qcdeploy.cli.commands.drift import drift
from qcdeploy.cli.commands.export import export
from qcdeploy.cli.commands.init import init
from qcdeploy.cli.commands.plan import plan
from qcdeploy.cli.commands.sandbox import sandbox
from qcdeploy.cli.commands.schema import schema
from qcdeploy.cli.commands.show import show
from qcdeploy.cli.commands.state import state
from qcdeploy.cli.commands.status import status
from qcdeploy.cli.commands.unlock import force_unlock
from qcdeploy.cli.commands.validate import validate
from qcdeploy.cli.commands.watch import watch

COMMANDS = (
    init,
    validate,
    plan,
    show,
    apply,
    adopt,
    command,
    export,
    status,
    drift,
    watch,
    doctor,
    state,
    force_unlock,
    sandbox,
    schema,
)
