"""`qcdeploy sandbox` and `python -m qcdeploy.sandbox`: the emulator's own command (it imports nothing of qcdeploy
but `errors`, so the CLI borrows this command rather than the other way round)."""

from __future__ import annotations

import click

RATE = click.FloatRange(0, 1)


@click.command()
@click.option("--port", type=int, default=5612, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only).")
@click.option("--seed", type=click.Path(exists=True, dir_okay=False), help="YAML: projects, nodes, credentials.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where the sandbox keeps its state between runs.")
@click.option("--delay", type=float, help="Seconds each compile, start and stop takes (seed's value, else 2).")
@click.option("--latency", type=float, default=0.0, help="Fault: seconds added to every API request.")
@click.option("--error-rate", type=RATE, default=0.0, help="Fault: share of requests answered HTTP 500.")
@click.option("--throttle-rate", type=RATE, default=0.0, help="Fault: share of requests answered HTTP 429.")
@click.option("--lose-rate", type=RATE, default=0.0, help="Fault: share of writes carried out, answer lost.")
@click.option("--drop-rate", type=RATE, default=0.0, help="Fault: share of requests dropped unanswered.")
@click.option("--fault-seed", type=int, default=5612, show_default=True, help="Seed of the fault dice.")
@click.option(
    "--log", "log", type=click.Path(dir_okay=False), help="Append one JSON line per API request (no secrets)."
)
def sandbox(
    port: int,
    host: str,
    seed: str | None,
    data_dir: str | None,
    delay: float | None,
    log: str | None,
    **faults: float,
) -> int:
    """Serve the QuantConnect API subset qcdeploy uses at http://HOST:PORT/api/v2/.

    Faults can be changed while it runs: POST /sandbox/faults with the same names (error_rate, …).
    """
    from qcdeploy.errors import ConfigError
    from qcdeploy.sandbox.server import serve

    try:
        serve(host=host, port=port, seed=seed, data_dir=data_dir, delay=delay, faults=faults, say=click.echo, log=log)
    except ConfigError as exc:  # a bad seed or a taken port: one line, under qcdeploy or python -m alike
        raise click.ClickException(str(exc)) from None
    return 0
