"""The brokerage and data-provider catalogue: module ids, required keys, the display names the API reports.

One source for the schema (generated from it: `python -m qcdeploy.manifests.brokerages`), validate, preflight
and export.
Source: QuantConnect's API reference, "Create Live Algorithm" request (qc-api.md §4a, §4b); display names from
the older `LiveAlgorithmSummary.brokerage` enum (qc-api.md §3) and lean-cli's `--brokerage` names (§10.1). The
modules the lean CLI deploys beyond the API reference (Zerodha, Samco, Eze, dYdX; Terminal Link, Trading
Technologies and CoinApi as data providers) take their keys from LEAN's brokerage factories and lean-cli's tests
(docs/quantconnect-api.md says which, and what is unconfirmed).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from qcdeploy.redact import SECRET_WORDS

# module id -> keys a live/create needs besides "id"
BROKERAGES: Mapping[str, tuple[str, ...]] = {
    "QuantConnectBrokerage": (),
    "InteractiveBrokersBrokerage": ("ib-user-name", "ib-account", "ib-password", "ib-weekly-restart-utc-time"),
    "TradierBrokerage": ("tradier-account-id", "tradier-access-token", "tradier-environment"),
    "BitfinexBrokerage": ("bitfinex-api-key", "bitfinex-api-secret"),
    "CoinbaseBrokerage": ("coinbase-api-name", "coinbase-api-private-key"),
    "BinanceBrokerage": ("binance-exchange-name",),  # the rest depends on the exchange: BINANCE_EXCHANGES
    "TradingTechnologiesBrokerage": (
        "tt-user-name",
        "tt-session-password",
        "tt-account-name",
        "tt-rest-app-key",
        "tt-rest-app-secret",
        "tt-rest-environment",
        "tt-order-routing-sender-comp-id",
        "cash",
    ),
    "KrakenBrokerage": ("kraken-api-key", "kraken-api-secret", "kraken-verification-tier"),
    "BybitBrokerage": ("bybit-api-key", "bybit-api-secret", "bybit-vip-level"),
    "OandaBrokerage": ("oanda-account-id", "oanda-access-token", "oanda-environment"),
    "WolverineBrokerage": ("wolverine-on-behalf-of-comp-id", "wolverine-account"),
    "CharlesSchwabBrokerage": ("charles-schwab-account-number",),
    "RBIBrokerage": ("rbi-on-behalf-of-comp-id", "rbi-account"),
    "TerminalLinkBrokerage": (
        "terminal-link-connection-type",
        "terminal-link-server-auth-id",
        "terminal-link-environment",
        "terminal-link-server-host",
        "terminal-link-server-port",
        "terminal-link-emsx-broker",
        "terminal-link-emsx-account",
        "terminal-link-openfigi-api-key",
    ),
    "TradeStationBrokerage": (
        "trade-station-client-id",
        "trade-station-account-id",
        "trade-station-refresh-token",
        "trade-station-environment",
    ),
    "TastytradeBrokerage": ("tastytrade-account-number", "tastytrade-refresh-token"),
    "AlpacaBrokerage": ("alpaca-access-token", "alpaca-environment"),
    "WebullBrokerage": ("webull-app-key", "webull-app-secret", "webull-account-id"),
    "PublicBrokerage": ("public-secret-key", "public-account-number"),
    "BloombergFixBrokerage": (
        "bloomberg-fix-sender-sub-id",
        "bloomberg-fix-on-behalf-of-comp-id",
        "bloomberg-fix-deliver-to-comp-id",
        "bloomberg-fix-environment",
    ),
    # lean-cli `--brokerage` modules absent from the API reference (qc-api §4a's last row)
    "ZerodhaBrokerage": ("zerodha-api-key", "zerodha-access-token", "zerodha-product-type", "zerodha-trading-segment"),
    "SamcoBrokerage": (
        "samco-client-id",
        "samco-client-password",
        "samco-year-of-birth",
        "samco-product-type",
        "samco-trading-segment",
    ),
    "EzeBrokerage": (),  # its keys are in no source we hold: the API says what is missing
    "dYdXBrokerage": ("dydx-private-key-hex", "dydx-address", "dydx-subaccount-number"),
}

# OAuth brokerages: their tokens come only from a browser login (`live/auth0/authorize`), read back with
# `live/auth0/read {brokerage: <name>}` (qc-api §4d); module id -> that name
OAUTH_BROKERAGES: Mapping[str, str] = {
    "TradeStationBrokerage": "tradestation",
    "AlpacaBrokerage": "alpaca",
    "TastytradeBrokerage": "tastytrade",
    "CharlesSchwabBrokerage": "charlesschwab",
}

# binance-exchange-name -> the keys that exchange needs
BINANCE_EXCHANGES: Mapping[str, tuple[str, ...]] = {
    "Binance": ("binance-api-key", "binance-api-secret", "binance-use-testnet"),
    "BinanceUS": ("binanceus-api-key", "binanceus-api-secret"),
    "Binance-USDM-Futures": ("binance-api-key", "binance-api-secret"),
    "Binance-COIN-Futures": ("binance-api-key", "binance-api-secret"),
}

# data provider id -> required keys; a provider that is also a brokerage takes the brokerage's credentials.
# lean-cli's `--data-provider-live` offers every `--brokerage` module plus QuantConnect, Polygon and CoinApi
DATA_PROVIDERS: Mapping[str, tuple[str, ...]] = {
    **{
        bid: BROKERAGES[bid]
        for bid in (
            "QuantConnectBrokerage",
            "InteractiveBrokersBrokerage",
            "TradierBrokerage",
            "BitfinexBrokerage",
            "CoinbaseBrokerage",
            "BinanceBrokerage",
            "KrakenBrokerage",
            "BybitBrokerage",
            "OandaBrokerage",
            "CharlesSchwabBrokerage",
            "TradeStationBrokerage",
            "TastytradeBrokerage",
            "TerminalLinkBrokerage",
            "ZerodhaBrokerage",
            "SamcoBrokerage",
            "dYdXBrokerage",
            "EzeBrokerage",
            "WebullBrokerage",
            "PublicBrokerage",
        )
    },
    # a data feed, so no starting cash (which the brokerage requires)
    "TradingTechnologiesBrokerage": tuple(k for k in BROKERAGES["TradingTechnologiesBrokerage"] if k != "cash"),
    "AlpacaBrokerage": ("alpaca-api-key", "alpaca-api-secret"),
    "Polygon": ("polygon-api-key",),
    "CoinApi": ("coinapi-api-key",),
}

# what /live/list and /live/read may report in `brokerage` -> module id
DISPLAY_NAMES: Mapping[str, str] = {
    "PaperBrokerage": "QuantConnectBrokerage",
    "Paper Trading": "QuantConnectBrokerage",
    "QuantConnect": "QuantConnectBrokerage",
    "Interactive": "InteractiveBrokersBrokerage",
    "Interactive Brokers": "InteractiveBrokersBrokerage",
    "Oanda": "OandaBrokerage",
    "Tradier": "TradierBrokerage",
    "Alpaca": "AlpacaBrokerage",
    "Bitfinex": "BitfinexBrokerage",
    "Binance": "BinanceBrokerage",
    "Coinbase": "CoinbaseBrokerage",
    "Coinbase Advanced Trade": "CoinbaseBrokerage",
    "Kraken": "KrakenBrokerage",
    "Bybit": "BybitBrokerage",
    "Trading Technologies": "TradingTechnologiesBrokerage",
    "Terminal Link": "TerminalLinkBrokerage",
    "CharlesSchwab": "CharlesSchwabBrokerage",
    "TradeStation": "TradeStationBrokerage",
    "Tastytrade": "TastytradeBrokerage",
    "Webull": "WebullBrokerage",
    "Public": "PublicBrokerage",
    "Zerodha": "ZerodhaBrokerage",
    "Samco": "SamcoBrokerage",
    "Eze": "EzeBrokerage",
    "dYdX": "dYdXBrokerage",
}


def is_secret_key(key: str) -> bool:
    """A settings key whose value is a credential (kept out of exports, as `${env:…}` placeholders)."""
    return any(word in key.lower() for word in SECRET_WORDS)


def module_id(reported: str) -> str | None:
    """The module id behind what the API reported (a module id already, or a display name); None if unknown."""
    if reported in BROKERAGES:
        return reported
    return DISPLAY_NAMES.get(reported)


def nearest(value: str, known: Mapping[str, Any]) -> str | None:
    """The known id closest to a mistyped one, if any is close."""

    def fold(text: str) -> str:  # the shared "Brokerage" suffix would make every id look alike
        return text.lower().removesuffix("brokerage")

    folded = {fold(k): k for k in known}
    match = difflib.get_close_matches(fold(value), list(folded), n=1, cutoff=0.7)
    return folded[match[0]] if match else None


def missing_keys(settings: Mapping[str, Any], catalogue: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Required keys absent from a brokerage or data-provider settings object (empty for an unknown id)."""
    required = list(catalogue.get(str(settings.get("id")), ()))
    if settings.get("id") == "BinanceBrokerage":
        required += BINANCE_EXCHANGES.get(str(settings.get("binance-exchange-name")), ())
    return [k for k in required if k not in settings]


def _requires(catalogue: Mapping[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    rules = []
    for bid, keys in catalogue.items():
        then: dict[str, Any] = {"required": list(keys)} if keys else {}
        if bid == "InteractiveBrokersBrokerage":
            pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
            then["properties"] = {"ib-weekly-restart-utc-time": {"type": "string", "pattern": pattern}}
        if bid == "BinanceBrokerage":
            then["properties"] = {"binance-exchange-name": {"enum": list(BINANCE_EXCHANGES)}}
            then["allOf"] = [
                {
                    "if": {
                        "required": ["binance-exchange-name"],
                        "properties": {"binance-exchange-name": {"const": name}},
                    },
                    "then": {"required": list(extra)},
                }
                for name, extra in BINANCE_EXCHANGES.items()
            ]
        if then:
            rules.append({"if": {"required": ["id"], "properties": {"id": {"const": bid}}}, "then": then})
    return rules


def schema_rules() -> dict[str, Any]:
    """The parts of the manifest schema that come from this catalogue."""
    return {
        "brokerage_ids": sorted(BROKERAGES),
        "brokerage_rules": _requires(BROKERAGES),
        "provider_ids": sorted(DATA_PROVIDERS),
        "provider_rules": _requires(DATA_PROVIDERS),
    }


def apply_to_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The manifest schema with its brokerage and data-provider rules taken from this catalogue."""
    rules = schema_rules()
    spec = schema["properties"]["spec"]["properties"]
    spec["brokerage"]["properties"]["id"] = {"type": "string", "enum": rules["brokerage_ids"]}
    spec["brokerage"]["allOf"] = rules["brokerage_rules"]
    provider = spec["dataProviders"]["additionalProperties"]
    provider["properties"]["id"] = {"type": "string", "enum": rules["provider_ids"]}
    provider["allOf"] = rules["provider_rules"]
    return schema


if __name__ == "__main__":  # regenerate both copies of the schema (and its pre-checks) from the catalogue
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]  # the qcdeploy package
    for path in (root / "data" / "qcdeploy-v1.schema.json", root.parent / "schemas" / "qcdeploy-v1.schema.json"):
        path.write_text(json.dumps(apply_to_schema(json.loads(path.read_text("utf-8"))), indent=2) + "\n", "utf-8")
    from qcdeploy.manifests.schemacheck import write_all

    write_all()  # and the compiled pre-checks of it


# Modules whose every key is known (the API reference and the QuantConnect docs list them): a key outside the set
# is a guess that the API would ignore, so validate names it. Alpaca's credentials come from its OAuth login
# (alpaca-access-token); the key and secret a user guesses from Alpaca's own API belong to no field here.
FIXED_KEYS: Mapping[str, frozenset[str]] = {
    "AlpacaBrokerage": frozenset({"id", "alpaca-access-token", "alpaca-environment", "cash", "holdings"}),
}
# (module, key) -> the values the API takes; the docs' Alpaca environments are Paper and Live
ALLOWED_VALUES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("AlpacaBrokerage", "alpaca-environment"): ("live", "paper"),
}


def module_problems(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, message) for each key a module with a fixed key set does not take, and each value outside the
    values it allows (a `${env:...}` value is checked at apply time, not here)."""
    module = str(settings.get("id", ""))
    found = []
    known = FIXED_KEYS.get(module)
    for key, value in settings.items():
        if known is not None and key not in known:
            hint = ", ".join(sorted(known - {"id", "cash", "holdings"}))
            found.append((key, f"unknown key '{key}': {module} takes {hint}"))
        allowed = ALLOWED_VALUES.get((module, key))
        if allowed and isinstance(value, str) and "${" not in value and value not in allowed:
            found.append((key, f"{value!r} is not one of {', '.join(map(repr, allowed))}"))
    return found
