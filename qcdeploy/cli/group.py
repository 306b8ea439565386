"""The click group, global options, and the one error boundary that maps failures to exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import click

from qcdeploy import __version__
from qcdeploy.cli.commands import COMMANDS
from qcdeploy.cli.signals import INTERRUPTED, leave_if_abandoned, sigterm_as_interrupt
from qcdeploy.cli.workspace import App, use_color
from qcdeploy.config import settings_from
from qcdeploy.errors import QcdeployError
from qcdeploy.manifests.repofile import state_location
from qcdeploy.redact import scrub


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="qcdeploy")
@click.option("-v", "--verbose", is_flag=True, help="More detail (never secrets); tracebacks for bugs.")
@click.option("--no-color", is_flag=True, help="No colour (NO_COLOR in the environment does the same).")
@click.option("--user-id", metavar="ID", help="QuantConnect user id [env QC_USER_ID].")
@click.option("--api-token", metavar="TOKEN", help="QuantConnect API token [env QC_API_TOKEN].")
@click.option("--organization-id", metavar="ID", help="Organization id [env QC_ORGANIZATION_ID].")
@click.option("--api-url", metavar="URL", help="API base URL [env QC_API_URL].")
@click.option("--state", metavar="FILE", help="Ledger file [env QCDEPLOY_STATE; .qcdeploy/state.json].")
@click.pass_context
def cli(ctx: click.Context, /, **options: object) -> None:
    """Keep QuantConnect live deployments equal to YAML manifests in git.

    validate checks manifests offline; plan shows what would change; apply makes it so.
    """
    environ = dict(os.environ)
    options["color"] = use_color(bool(options["no_color"]), environ)
    ctx.obj = App(settings_from(options, environ, state_location), environ)


for command in COMMANDS:
    cli.add_command(command)


GLOBAL_FLAGS = ("-v", "--verbose", "--no-color")


def hoist_global_flags(argv: list[str]) -> list[str]:
    """`qcdeploy plan --no-color` works as `qcdeploy --no-color plan`: global flags (no values) may follow the
    command, as users of most CLIs expect; everything after `--` is left alone."""
    end = argv.index("--") if "--" in argv else len(argv)
    flags = [a for a in argv[:end] if a in GLOBAL_FLAGS]
    return flags + [a for a in argv[:end] if a not in GLOBAL_FLAGS] + argv[end:]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; every expected failure becomes one message on stderr and exit code 1."""
    argv = hoist_global_flags(list(argv if argv is not None else sys.argv[1:]))
    verbose = any(a in ("-v", "--verbose") for a in argv)
    with sigterm_as_interrupt():
        code = _run(argv, verbose)
    leave_if_abandoned(code)
    return code


def _run(argv: list[str], verbose: bool) -> int:
    try:
        result = cli.main(args=argv, prog_name="qcdeploy", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:  # usage errors exit 1, never 2 (CI reads 2 as "changes")
        click.echo(scrub(f"Error: {exc.format_message()}"), err=True)
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            click.echo(f"Run '{exc.ctx.command_path} --help' for usage.", err=True)
        return 1
    except click.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # click turns Ctrl-C into Abort: still an interrupt
            click.echo("Interrupted.", err=True)
            return INTERRUPTED
        click.echo("Aborted.", err=True)
        return 1
    except QcdeployError as exc:
        for line in exc.lines():
            click.echo(scrub(line), err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return INTERRUPTED
    except Exception as exc:  # a bug: say so plainly; the traceback only with -v
        if verbose:
            click.echo(scrub(traceback.format_exc()), err=True)
        click.echo(
            scrub(f"Internal error: {type(exc).__name__}: {exc} (a bug in qcdeploy; -v shows a traceback)"),
            err=True,
        )
        return 3  # not 1: CI must tell "qcdeploy crashed" from "qcdeploy refused"
    return result if isinstance(result, int) else 0
