"""`qcdeploy sandbox`: the local QuantConnect API emulator."""

from __future__ import annotations

import click

from qcdeploy.app import App


@click.command()
@click.option(
    "--port",
    type=int,
    default=5612,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only).")
@click.option(
    "--seed",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML file with projects, nodes, credentials.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Where the sandbox keeps its state between runs.",
)
@click.option(
    "--delay",
    type=float,
    help="Seconds each compile, start and stop takes (default from the seed, else 2).",
)
@click.pass_obj
def sandbox(app: App, port: int, host: str, seed: str | None, data_dir: str | None, delay: float | None) -> int:
    """Serve the QuantConnect API subset qcdeploy uses at http://HOST:PORT/api/v2/."""
    from qcdeploy.sandbox.server import serve

    serve(host=host, port=port, seed=seed, data_dir=data_dir, delay=delay, say=app.out)
    return 0
