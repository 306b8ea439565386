"""The API endpoints, each a function (world, body) -> answer; Fail becomes success:false."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from qcdeploy.sandbox.world import ACTIVE, Deployment, NodeRec, World, stamp

Body = dict[str, Any]

# qc-api.md §4a: the module ids the sandbox accepts, and the keys the API reference requires of each (the
# sandbox's own copy: it must not agree with the client because it shares the client's catalogue)
BROKERAGES: dict[str, tuple[str, ...]] = {
    "QuantConnectBrokerage": (),
    "InteractiveBrokersBrokerage": ("ib-user-name", "ib-account", "ib-password", "ib-weekly-restart-utc-time"),
    "TradierBrokerage": ("tradier-account-id", "tradier-access-token", "tradier-environment"),
    "OandaBrokerage": ("oanda-account-id", "oanda-access-token", "oanda-environment"),
    "BitfinexBrokerage": ("bitfinex-api-key", "bitfinex-api-secret"),
    "CoinbaseBrokerage": ("coinbase-api-name", "coinbase-api-private-key"),
    "BinanceBrokerage": ("binance-exchange-name",),
    "KrakenBrokerage": ("kraken-api-key", "kraken-api-secret", "kraken-verification-tier"),
    "BybitBrokerage": ("bybit-api-key", "bybit-api-secret", "bybit-vip-level"),
    "TradingTechnologiesBrokerage": (
        *("tt-user-name", "tt-session-password", "tt-account-name", "tt-rest-app-key", "tt-rest-app-secret"),
        *("tt-rest-environment", "tt-order-routing-sender-comp-id", "cash"),
    ),
    "CharlesSchwabBrokerage": ("charles-schwab-account-number",),
    "TradeStationBrokerage": (
        *("trade-station-client-id", "trade-station-account-id", "trade-station-refresh-token"),
        "trade-station-environment",
    ),
    "TastytradeBrokerage": ("tastytrade-account-number", "tastytrade-refresh-token"),
    "AlpacaBrokerage": ("alpaca-access-token", "alpaca-environment"),
    "WolverineBrokerage": ("wolverine-on-behalf-of-comp-id", "wolverine-account"),
    "RBIBrokerage": ("rbi-on-behalf-of-comp-id", "rbi-account"),
    "TerminalLinkBrokerage": (
        *("terminal-link-connection-type", "terminal-link-server-auth-id", "terminal-link-environment"),
        *("terminal-link-server-host", "terminal-link-server-port", "terminal-link-emsx-broker"),
        *("terminal-link-emsx-account", "terminal-link-openfigi-api-key"),
    ),
    "WebullBrokerage": ("webull-app-key", "webull-app-secret", "webull-account-id"),
    "PublicBrokerage": ("public-secret-key", "public-account-number"),
    "BloombergFixBrokerage": (
        *("bloomberg-fix-sender-sub-id", "bloomberg-fix-on-behalf-of-comp-id"),
        *("bloomberg-fix-deliver-to-comp-id", "bloomberg-fix-environment"),
    ),
    # modules the lean CLI deploys (LEAN's brokerage factories, lean-cli's tests)
    "ZerodhaBrokerage": ("zerodha-api-key", "zerodha-access-token", "zerodha-product-type", "zerodha-trading-segment"),
    "SamcoBrokerage": (
        *("samco-client-id", "samco-client-password", "samco-year-of-birth", "samco-product-type"),
        "samco-trading-segment",
    ),
    "EzeBrokerage": (),
    "dYdXBrokerage": ("dydx-private-key-hex", "dydx-address", "dydx-subaccount-number"),
}


# qc-api §3: /live/list and /live/read report a display name, not the module id (the older docs' enum)
DISPLAY_NAMES = {
    "QuantConnectBrokerage": "PaperBrokerage",
    "InteractiveBrokersBrokerage": "Interactive",
    "OandaBrokerage": "Oanda",
    "TradierBrokerage": "Tradier",
    "AlpacaBrokerage": "Alpaca",
    "BitfinexBrokerage": "Bitfinex",
    "BinanceBrokerage": "Binance",
    "CoinbaseBrokerage": "Coinbase",
}


def display_name(module_id: str) -> str:
    return DISPLAY_NAMES.get(module_id, module_id)


class Fail(Exception):
    """An application error: HTTP 200 with success:false (qc-api §2)."""


def _int(body: Body, key: str) -> int:
    try:
        return int(body[key])
    except (KeyError, TypeError, ValueError):
        raise Fail(f"{key} is required and must be an integer") from None


def _project(world: World, body: Body) -> int:
    pid = _int(body, "projectId")
    if pid not in world.projects:
        raise Fail(f"Project not found: {pid}")
    return pid


def authenticate(world: World, body: Body) -> Body:
    return {}


def projects_read(world: World, body: Body) -> Body:
    if "projectId" in body:
        projects = [world.projects[_project(world, body)]]
    else:
        projects = _page(world, body, sorted(world.projects.values(), key=lambda p: p.projectId))
    newest = world.newest_by_project()
    return {
        "projects": [
            {
                "projectId": p.projectId,
                "organizationId": p.organizationId,
                "name": p.name,
                "description": "",
                "modified": stamp(p.modified),
                "created": stamp(p.created),
                "ownerId": 0,
                "language": "Py",
                "collaborators": [],
                "leanVersionId": p.leanVersionId,
                "leanPinnedToMaster": False,
                "leanEnvironment": 1,
                "parameters": _parameter_shape(world, p.parameters),
                "libraries": [],
                "liveForm": _live_form(world, newest.get(p.projectId)),
            }
            for p in projects
        ],
        "versions": [],
    }


def _page(world: World, body: Body, projects: list[Any]) -> list[Any]:
    """OpenAPI `start` (inclusive, default 0) and `end` (exclusive); an unpaged list is cut at
    `world.projects_cap` when one is set (whether the real API caps it is not documented)."""
    if "start" not in body and "end" not in body:
        return projects[: world.projects_cap] if world.projects_cap is not None else projects
    start = _int(body, "start") if "start" in body else 0
    end = _int(body, "end") if "end" in body else len(projects)
    if start < 0 or end < start:
        raise Fail("start and end must satisfy 0 <= start <= end")
    return projects[start:end]


def _parameter_shape(world: World, parameters: dict[str, str]) -> Any:
    """qc-api §7: a list of {key, value}, or (as some answers come) a dict whose values are {key, value}; `name`
    instead of `key` as LEAN's C# model has it (qc-api §13)."""
    items = [{world.parameter_key: k, "value": v} for k, v in parameters.items()]
    return {str(i): item for i, item in enumerate(items)} if world.parameters_as_dict else items


def projects_update(world: World, body: Body) -> Body:
    """Form-encoded as the lean CLI sends it (`parameters[0][key]`, …; `parameters=""` clears), or JSON. `name` is
    required, as QuantConnect staff say it should be (QuantConnect/Documentation#2112): the strict reading."""
    project = world.projects[_project(world, body)]
    if not str(body.get("name") or "").strip():
        raise Fail("name is required")
    project.name = str(body["name"])
    parameters = _form_parameters(body)
    if parameters is not None:
        project.parameters = parameters
    world.touch(project.projectId)
    return {}


def _form_parameters(body: Body) -> dict[str, str] | None:
    value = body.get("parameters")
    if isinstance(value, list):  # JSON: [{key, value}]
        return {str(p["key"]): str(p.get("value", "")) for p in value if isinstance(p, dict) and "key" in p}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if value == "":
        return {}
    found: dict[int, dict[str, str]] = {}
    for key, item in body.items():
        match = _FORM_PARAMETER.fullmatch(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = str(item)
    if not found:
        return None
    return {p["key"]: p.get("value", "") for _, p in sorted(found.items()) if "key" in p}


_FORM_PARAMETER = re.compile(r"parameters\[(\d+)\]\[(key|value)\]")


def files_read(world: World, body: Body) -> Body:
    """qc-api §13: `files/read {projectId, name?}` -> `files: [{name, content, modified, isLibrary}]`."""
    project = world.projects[_project(world, body)]
    names = [str(body["name"])] if body.get("name") else sorted(project.files)
    if any(n not in project.files for n in names):
        raise Fail(f"File not found: {names[0]}")
    when = stamp(project.modified)
    return {
        "files": [
            {
                "name": n,
                "content": project.files[n],
                "modified": when,
                "isLibrary": False,
                "projectId": project.projectId,
            }
            for n in names
        ]
    }


def nodes_read(world: World, body: Body) -> Body:
    if str(body.get("organizationId", "")) != world.organizationId:
        raise Fail("Organization not found or you are not a member of it")
    return {"backtest": [], "research": [], "live": [_node(world, n) for n in world.nodes.values()]}


def _node(world: World, n: NodeRec) -> Body:
    user = world.node_user(n.id)
    project = world.projects.get(user.projectId) if user else None
    return {
        "id": n.id,
        "name": n.name,
        "sku": n.sku,
        "busy": user is not None,
        "usedBy": "sandbox-user" if user else "",
        "projectName": project.name if project else "",
        "projectId": user.projectId if user else None,
        "description": "",
        "cpu": 1,
        "ram": 0.5,
        "speed": 2.4,
        "price": {"monthly": 20, "yearly": 240},
        "assets": 0,
        "host": "",
    }


def projects_nodes_read(world: World, body: Body) -> Body:
    """qc-api §7: the organization's nodes as one project sees them (`active`: selected for it)."""
    _project(world, body)
    live = [{**_node(world, n), "active": False} for n in world.nodes.values()]
    return {"nodes": {"backtest": [], "research": [], "live": live}, "autoSelectNode": True}


def organizations_list(world: World, body: Body) -> Body:
    """Shape of lean-cli's QCMinimalOrganization (lean/models/api.py): what `lean whoami` reads."""
    org = {"id": world.organizationId, "name": "Sandbox Organization", "type": "organization"}
    return {"organizations": [{**org, "ownerName": "sandbox-user", "members": len(world.users), "preferred": True}]}


def organizations_read(world: World, body: Body) -> Body:
    """Shape of lean-cli's QCFullOrganization."""
    if str(body.get("organizationId", world.organizationId)) != world.organizationId:
        raise Fail("Organization not found or you are not a member of it")
    return {
        "organization": {
            "id": world.organizationId,
            "name": "Sandbox Organization",
            "seats": 1,
            "type": "organization",
            "credit": {"movements": [], "balance": 0},
            "products": [],
            "data": {"signedTime": None, "current": True},
            "members": [
                {"id": int(u) if u.isdigit() else 0, "name": "sandbox-user", "isAdmin": True, "email": ""}
                for u in world.users
            ],
        }
    }


def live_portfolio_read(world: World, body: Body) -> Body:
    """qc-api §5: the portfolio snapshot of the project's live deployment (the sandbox trades nothing)."""
    pid = _project(world, body)
    dep = world.newest(pid)
    if dep is None:
        raise Fail(f"No live deployment found for project {pid}")
    return {"portfolio": dep.portfolio}


def initial_portfolio(brokerage: Body) -> Body:
    """The paper brokerage starts from the `cash` and `holdings` sent to live/create (qc-api §4a), if any."""
    cash = {
        str(c.get("currency", "USD")): {"symbol": str(c.get("currency", "USD")), "amount": float(c.get("amount", 0))}
        for c in brokerage.get("cash") or []
        if isinstance(c, dict)
    }
    holdings = {}
    for h in brokerage.get("holdings") or []:
        if isinstance(h, dict):
            q, a = float(h.get("quantity", 0)), float(h.get("averagePrice", 0))
            holdings[str(h.get("symbolId") or h.get("symbol"))] = {
                "a": a,
                "q": q,
                "p": a,
                "v": q * a,
                "u": 0.0,
                "up": 0.0,
            }
    return {"holdings": holdings, "cash": cash}


def compile_create(world: World, body: Body) -> Body:
    c = world.new_compile(_project(world, body))
    return {
        "compileId": c.compileId,
        "state": "InQueue",
        "projectId": c.projectId,
        "signature": c.compileId.split("-")[1],
        "signatureOrder": ["main.py"],
        "parameters": [],
    }


def compile_read(world: World, body: Body) -> Body:
    pid = _project(world, body)
    c = world.compiles.get(str(body.get("compileId", "")))
    if c is None or c.projectId != pid:
        raise Fail(f"Compile not found: {body.get('compileId')}")
    state = world.compile_state(c)
    logs = (
        [f"Build Error: {c.buildError}"]
        if state == "BuildError"
        else ["Build Request Successful"]
        if state == "BuildSuccess"
        else []
    )
    return {"compileId": c.compileId, "state": state, "logs": logs, "projectId": pid}


def live_create(world: World, body: Body) -> Body:
    pid = _project(world, body)
    compile_ = world.compiles.get(str(body.get("compileId", "")))
    if compile_ is None or compile_.projectId != pid:
        raise Fail("Compile id not found for this project")
    if world.compile_state(compile_) != "BuildSuccess":
        raise Fail(f"Compile {compile_.compileId} is not a successful build")
    node = world.nodes.get(str(body.get("nodeId", "")))
    if node is None:
        raise Fail(f"Live node not found: {body.get('nodeId')}")
    if world.node_user(node.id) is not None:
        raise Fail(f"Node {node.name} is busy; select another node")
    if world.active(pid) is not None:
        raise Fail("Project already has an active live deployment; stop it first")
    brokerage = _brokerage(body.get("brokerage"))
    # a deployment runs with its project's parameters; a `parameters` field in the request is not documented
    settings = {**kept_settings(body), "parameters": dict(world.projects[pid].parameters)}
    dep = world.new_deployment(pid, node.id, compile_.compileId, brokerage, settings)
    if brokerage == "QuantConnectBrokerage":
        dep.portfolio = initial_portfolio(body["brokerage"])
    if any(str(v) in world.refused_logins for v in body["brokerage"].values()):
        dep.deployError = "Brokerage login failed: the brokerage refused the credentials"
    return {
        "projectId": pid,
        "deployId": dep.deployId,
        "versionId": body.get("versionId"),
        "source": "api-v2",  # as the real API answers (the MCP server's real-API test)
        "responseCode": "",
        "live": _live(world, dep),
    }


def _brokerage(value: Any) -> str:
    if not isinstance(value, dict) or not value.get("id"):
        raise Fail("brokerage is required: an object with an id")
    bid = str(value["id"])
    if bid not in BROKERAGES:
        raise Fail(f"Unknown brokerage id: {bid}")
    missing = [k for k in BROKERAGES[bid] if k not in value]
    if missing:
        raise Fail(f"{bid}: missing required setting(s) {', '.join(missing)}")
    return bid


SECRET_WORDS = ("password", "token", "secret", "private", "api-key", "key-id", "refresh")


def is_secret_key(key: str) -> bool:
    return any(word in key.lower() for word in SECRET_WORDS)


def kept_settings(body: Body) -> Body:
    """What a deployment keeps server-side. Credentials are not kept: they would never be shown again."""
    keep = ("versionId", "dataProviders", "parameters", "automaticRedeploy", "notification")
    settings = {k: body[k] for k in keep if k in body}
    brokerage = body.get("brokerage") or {}
    settings["brokerage"] = {k: v for k, v in brokerage.items() if not is_secret_key(k)}
    return settings


def _live_form(world: World, dep: Deployment | None) -> Body | None:
    """projects/read `liveForm`: the last live-wizard content (qc-api §5), secrets left out."""
    if dep is None or not dep.settings:
        return None
    node = world.nodes.get(dep.nodeId)
    return {
        "brokerageData": dep.settings.get("brokerage") or {"id": dep.brokerage},
        "dataProvidersData": [  # a list of {id} objects (OpenAPI LiveForm), not plain ids
            {"id": v.get("id")} for v in (dep.settings.get("dataProviders") or {}).values() if isinstance(v, dict)
        ],
        "node": node.id if node else "",
        "autoRestart": "true" if dep.settings.get("automaticRedeploy") else "false",
        "notifyOrderEvents": "false",
        "notifyInsights": "false",
    }


def live_read(world: World, body: Body) -> Body:
    pid = _project(world, body)
    deploy_id = body.get("deployId")
    dep = next((d for d in world.deployments if d.deployId == deploy_id), None) if deploy_id else world.newest(pid)
    if dep is None or dep.projectId != pid:
        raise Fail(f"No live deployment found for project {pid}")
    return _live(world, dep)


def _live(world: World, d: Deployment) -> Body:
    return {
        "deployId": d.deployId,
        "status": d.status,
        "launched": stamp(d.launched),
        "stopped": stamp(d.stopped) if d.stopped else None,
        "brokerage": display_name(d.brokerage),
        "message": d.error,
        "projectName": world.projects[d.projectId].name,
        "cloneId": d.projectId,
        "datacenter": "NY7",
        "securityTypes": "Equity",
        "public": False,
        "isPublicStreaming": False,
        "files": [],
        "runtimeStatistics": {"Equity": "$100,000.00"} if d.status == "Running" else {},
        "charts": {},
    }


def live_list(world: World, body: Body) -> Body:
    rows = world.deployments
    if "projectId" in body:
        rows = [d for d in rows if d.projectId == _int(body, "projectId")]
    if body.get("status"):
        rows = [d for d in rows if d.status == body["status"]]
    return {"live": [_summary(world, d) for d in rows]}


def _summary(world: World, d: Deployment) -> Body:
    return {
        "projectId": d.projectId,
        "deployId": d.deployId,
        "status": d.status,
        "launched": stamp(d.launched, iso=True),
        "stopped": stamp(d.stopped, iso=True) if d.stopped else None,
        "brokerage": display_name(d.brokerage),
        "subscription": "",
        "error": d.error,
        "description": "",
    }


def live_stop(world: World, body: Body, stop_as: str = "Stopped") -> Body:
    pid = _project(world, body)
    dep = world.active(pid)
    if dep is None:
        raise Fail(f"No live algorithm is running for project {pid}")
    if dep.stopRequested is None:
        dep.stopRequested, dep.stopAs = world.clock(), stop_as
    return {}


def live_liquidate(world: World, body: Body) -> Body:
    return live_stop(world, body, "Liquidated")


def live_commands_create(world: World, body: Body) -> Body:
    """qc-api §13, lean-cli `live_client.command_create`: `{projectId, command}` to the project's running
    deployment (the algorithm's OnCommand reads it; the sandbox only keeps it)."""
    pid = _project(world, body)
    dep = world.active(pid)
    if dep is None:
        raise Fail(f"No live deployment found for project {pid}")
    command = _command(body)
    if world.projects[pid].refuseCommands:
        raise Fail(world.projects[pid].refuseCommands)
    dep.commands.append(command)
    dep.received.append({"at": world.clock(), "command": command})  # the admin view: what arrived, and when
    return {}


def live_commands_broadcast(world: World, body: Body) -> Body:
    """lean-cli `live_client.broadcast_command`: `{organizationId, command, excludeProjectId?}` to every running
    deployment of the organization but the excluded project's."""
    if str(body.get("organizationId", "")) != world.organizationId:
        raise Fail("Organization not found or you are not a member of it")
    command, excluded = _command(body), body.get("excludeProjectId")
    for pid in world.projects:
        dep = world.active(pid)
        if dep is not None and str(pid) != str(excluded):
            dep.commands.append(command)
    return {}


def _command(body: Body) -> dict[str, Any]:
    command = body.get("command")
    if not isinstance(command, dict):
        raise Fail("command is required: a JSON object")
    return command


Handler = Callable[[World, Body], Body]
ENDPOINTS: dict[str, tuple[Handler, bool]] = {  # endpoint -> (handler, changes state)
    "authenticate": (authenticate, False),
    "projects/read": (projects_read, False),
    "projects/update": (projects_update, True),
    "files/read": (files_read, False),
    "nodes/read": (nodes_read, False),
    "projects/nodes/read": (projects_nodes_read, False),
    "live/portfolio/read": (live_portfolio_read, False),
    "organizations/list": (organizations_list, False),
    "organizations/read": (organizations_read, False),
    "compile/create": (compile_create, True),
    "compile/read": (compile_read, False),
    "live/create": (live_create, True),
    "live/read": (live_read, False),
    "live/list": (live_list, False),
    "live/update/stop": (live_stop, True),
    "live/update/liquidate": (live_liquidate, True),
    "live/commands/create": (live_commands_create, True),
    "live/commands/broadcast": (live_commands_broadcast, True),
}


__all__ = ["ACTIVE", "ENDPOINTS", "Fail"]
