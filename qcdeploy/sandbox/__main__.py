"""`python -m qcdeploy.sandbox [--port N] [--seed FILE] [--data-dir DIR] [--delay S]`."""

import sys

from qcdeploy.sandbox.command import sandbox

sys.exit(sandbox.main(args=sys.argv[1:], prog_name="python -m qcdeploy.sandbox"))
