"""`python -m qcdeploy`."""

import sys

from qcdeploy.cli import main

sys.exit(main())
