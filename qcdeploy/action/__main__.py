"""`python -m qcdeploy.action STEP …`: the entry point action.yml runs (inputs arrive as arguments)."""

from __future__ import annotations

import argparse
import os
import sys

from qcdeploy.action import steps
from qcdeploy.action.workflow import annotate
from qcdeploy.errors import QcdeployError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qcdeploy.action")
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("environments").add_argument("paths", nargs="*", default=["."])
    planning = sub.add_parser("plan")
    planning.add_argument("--environment", default="")
    planning.add_argument("--out", help="the saved plan (default: qcdeploy-plan-ENVIRONMENT.json)")
    planning.add_argument("--allow-protected", default="false")
    planning.add_argument("paths", nargs="*", default=["."])
    finding = sub.add_parser("find")
    finding.add_argument("--environment", default="")
    finding.add_argument("--workflow", required=True)
    applying = sub.add_parser("apply")
    applying.add_argument("--environment", default="")
    where = applying.add_mutually_exclusive_group(required=True)
    where.add_argument("--plan", help="the saved plan file")
    where.add_argument("--plan-dir", help="the folder the reviewed plan artifact was downloaded to")
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    try:
        if args.step == "environments":
            return steps.environments(environ, args.paths)
        if args.step == "plan":
            allow = args.allow_protected == "true"
            out = args.out or steps.plan_filename(args.environment)
            return steps.plan(environ, args.environment, args.paths, out, allow)
        if args.step == "find":
            return steps.find(environ, args.environment, args.workflow)
        plan_file = args.plan or f"{args.plan_dir}/{steps.plan_filename(args.environment)}"
        return steps.apply(environ, args.environment, plan_file)
    except QcdeployError as exc:
        annotate("error", "qcdeploy", str(exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())
