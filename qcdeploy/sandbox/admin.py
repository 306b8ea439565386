"""Admin calls under /sandbox/ (no auth; loopback only): act outside qcdeploy, inject faults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qcdeploy.sandbox.backtests import set_backtest
from qcdeploy.sandbox.endpoints import Fail, kept_settings, live_stop
from qcdeploy.sandbox.versions import add_version
from qcdeploy.sandbox.world import stamp

if TYPE_CHECKING:
    from qcdeploy.sandbox.server import SandboxServer
    from qcdeploy.sandbox.world import World

Answer = tuple[int, dict[str, Any]]


def handle(server: SandboxServer, op: str, body: dict[str, Any]) -> Answer:
    world = server.world
    with world.lock:
        world.advance()
        try:
            result = _dispatch(server, op, body)
        except (Fail, KeyError, TypeError, ValueError) as exc:
            return 400, {"success": False, "errors": [f"{op}: {exc}"]}
        world.save()
    return 200, {"success": True, **result}


def _dispatch(server: SandboxServer, op: str, body: dict[str, Any]) -> dict[str, Any]:
    world = server.world
    if op == "state":
        return {"state": world.to_json(), "calls": server.calls}
    if op == "crash":  # the running algorithm dies
        dep = world.active(int(body["projectId"]))
        if dep is None:
            raise Fail("no active deployment")
        dep.status, dep.error = (
            str(body.get("status", "RuntimeError")),
            str(body.get("error", "Runtime Error: crashed")),
        )
        dep.stopped = world.clock()
        if dep.status == "RuntimeError":
            world.write_crash(dep, dep.error)
        return {"deployId": dep.deployId}
    if op == "settle":  # time passes: every stop asked for has taken effect, every queued deployment has started
        for d in world.deployments:
            if d.stopRequested is not None and d.stopped is None:
                d.stopRequested -= world.stopping
            elif d.status == "InQueue":
                d.launched -= world.starting
        world.advance()
        return {}
    if op == "slow-stops":  # stops take this long to take effect (a broker that is slow to disconnect)
        world.stop_delay = float(body["seconds"]) if body.get("seconds") is not None else None
        return {}
    if op == "slow-starts":  # new deployments stay InQueue this long (a node slow to boot)
        world.start_delay = float(body["seconds"]) if body.get("seconds") is not None else None
        return {}
    if op == "log":  # the project's newest deployment writes lines to its log (an algorithm's Debug/Log/Error)
        if body.get("onStart"):  # every later deployment of the project writes them as it starts
            world.projects[int(body["projectId"])].startLog = [str(line) for line in body["lines"]]
            return {}
        dep = world.newest(int(body["projectId"]))
        if dep is None:
            raise Fail("no deployment")
        dep.logs += [f"{stamp(world.clock())} {line}" for line in body["lines"]]
        return {"deployId": dep.deployId, "lines": len(dep.logs)}
    if op == "touch":  # the project's code was edited
        world.edit_code(int(body["projectId"]))
        return {}
    if op == "stop":  # someone pressed stop in the web UI; settled: it has taken effect by the time this answers
        live_stop(world, {"projectId": body["projectId"]}, str(body.get("as", "Stopped")))
        if body.get("settled"):
            for d in world.deployments:
                if d.projectId == int(body["projectId"]) and d.stopRequested is not None and d.stopped is None:
                    d.stopRequested -= world.stopping
            world.advance()
        return {}
    if op == "deploy":  # someone deployed by hand (web UI or lean cloud live deploy)
        return deploy_by_hand(world, body)
    if op == "break-deploy":  # deployments of the project fail to start, (crashAfter) die after Running, or (stuck)
        project = world.projects[int(body["projectId"])]  # never get past LoggingIn
        project.deployError = str(body.get("error", "")) if "crashAfter" not in body else ""
        project.crashAfter = float(body["crashAfter"]) if body.get("crashAfter") is not None else None
        project.endAs = str(body.get("endAs", "RuntimeError"))  # Stopped/Liquidated: someone stops it then
        project.stuck = bool(body.get("stuck", False))
        project.breakWhen = {str(k): str(v) for k, v in (body.get("whenParameters") or {}).items()}
        return {}
    if op == "refuse-login":  # the broker refuses this credential value (a password typed wrong)
        world.refused_logins.append(str(body["value"]))
        return {}
    if op == "set-parameters":  # someone edited the project's parameters in the web IDE
        world.projects[int(body["projectId"])].parameters = {str(k): str(v) for k, v in body["parameters"].items()}
        if body.get("touch", True):  # whether the real API moves `modified` on a parameter edit is unconfirmed
            world.touch(int(body["projectId"]))
        return {}
    if op == "advance":  # time passes for everything: compiles, deployments and stops move on as they would
        _advance(world, float(body["seconds"]))
        return {}
    if op == "age":  # time passes: the project's newest deployment was launched `seconds` earlier
        dep = world.newest(int(body["projectId"]))
        if dep is None:
            raise Fail("no deployment")
        dep.launched -= float(body["seconds"])
        return {}
    if op == "set-portfolio":  # the deployment traded: {projectId, holdings: {symbolId: Holding}, cash: {...}}
        dep = world.newest(int(body["projectId"]))
        if dep is None:
            raise Fail("no deployment")
        dep.portfolio = {"holdings": dict(body.get("holdings") or {}), "cash": dict(body.get("cash") or {})}
        return {}
    if op == "refuse-commands":  # live/commands/create to the project is refused with this message ("" accepts)
        world.projects[int(body["projectId"])].refuseCommands = str(body.get("error", ""))
        return {}
    if op == "backtest":  # the project's next backtests show these statistics (period, error)
        return set_backtest(world, body)
    if op == "lean-version":  # a new LEAN release appears in lean/versions/read
        return add_version(world, body)
    if op == "auth-failure-status":  # how a refused hash is answered: 200 (success:false), 401 or 500
        world.auth_failure_status = int(body["status"])
        return {}
    if op == "break-build":
        world.projects[int(body["projectId"])].buildError = str(body.get("error", "main.py:1 SyntaxError"))
        return {}
    if op == "faults":
        return {"faults": _faults(server, body)}
    raise Fail(f"unknown admin operation {op!r}")


def _advance(world: World, seconds: float) -> None:
    """Every moment the sandbox recorded moves `seconds` into the past: what a wait would do, without one."""
    for c in world.compiles.values():
        c.created -= seconds
    for d in world.deployments:
        d.launched -= seconds
        d.stopRequested = None if d.stopRequested is None else d.stopRequested - seconds
        d.stopped = None if d.stopped is None else d.stopped - seconds
    world.advance()


def _faults(server: SandboxServer, body: dict[str, Any]) -> dict[str, Any]:
    f = server.faults
    for key in ("latency", "error_rate", "throttle_rate", "lose_rate", "drop_rate"):
        if key in body:
            setattr(f, key, float(body[key]))
    if "once" in body:
        f.once = {kind: {ep: int(n) for ep, n in eps.items()} for kind, eps in body["once"].items()}
        f.armed_by = str(body.get("armedBy", ""))
        f.armed_after = server.calls.get(f.armed_by, 0)  # calls made before the faults were set do not arm them
    if "meanwhile" in body:  # endpoint -> a `deploy` body: another tool deploys when that endpoint's fault fires
        f.meanwhile = {str(ep): dict(b) for ep, b in body["meanwhile"].items()}
    if "redirectTo" in body:
        f.redirect_to = str(body["redirectTo"])
    keys = ("latency", "error_rate", "throttle_rate", "lose_rate", "drop_rate", "once", "armed_by")
    return {k: getattr(f, k) for k in keys}


def deploy_by_hand(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Another tool deploys the project (web UI, lean cloud live deploy); also a fault's `meanwhile`."""
    running = world.active(int(body["projectId"]))
    if running is not None and not body.get("replace"):
        raise Fail("the project already has an active deployment (pass replace: true to stop it first)")
    holder = world.node_user(str(body["nodeId"]))
    if holder is not None and holder is not running:  # as live/create: one deployment per node
        raise Fail(f"node {body['nodeId']} is busy with project {holder.projectId}")
    if running is not None:
        running.status, running.stopped = "Stopped", world.clock()
    settings = dict(body.get("settings") or {})
    project = world.projects[int(body["projectId"])]
    if "parameters" in settings:  # the lean CLI pushes them to the project before deploying
        project.parameters = {str(k): str(v) for k, v in settings["parameters"].items()}
    settings["parameters"] = dict(project.parameters)
    c = world.new_compile(int(body["projectId"]))
    c.created -= world.delay
    dep = world.new_deployment(
        c.projectId,
        str(body["nodeId"]),
        c.compileId,
        str(settings.get("brokerage", {}).get("id") or body.get("brokerage", "QuantConnectBrokerage")),
        kept_settings(settings),
    )
    if body.get("running", True):
        dep.launched -= world.delay
        dep.status = "Running"
    return {"deployId": dep.deployId}
