"""`python -m qcdeploy.sandbox [--port N] [--seed FILE] [--data-dir DIR] [--delay S]`."""

import sys

from qcdeploy.cli import main

sys.exit(main(["sandbox", *sys.argv[1:]]))
