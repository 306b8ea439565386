"""The packaged JSON Schema, and schema problems placed at file:line:col."""

from __future__ import annotations

import functools
import json
from collections.abc import Set as AbstractSet
from importlib import resources
from typing import Any

from qcdeploy.errors import Problem
from qcdeploy.manifests.yamlsrc import Document
from qcdeploy.model import KeyPath, dotted

SCHEMA_FILE = "qcdeploy-v1.schema.json"
DURATION = "^\\s*[0-9]+(\\.[0-9]+)?\\s*[smhd]\\s*$"  # the schemas' pattern of healthyFor, heal.per, heal.backoff
ENVIRONMENT_SCHEMA = "qcdeploy-environment-v1.schema.json"


def schema_text(name: str = SCHEMA_FILE) -> str:
    """A JSON Schema as shipped inside the package."""
    return resources.files("qcdeploy").joinpath("data").joinpath(name).read_text("utf-8")


@functools.cache
def _validator(name: str) -> Any:
    import jsonschema  # heavy: imported only by commands that validate

    return jsonschema.Draft202012Validator(json.loads(schema_text(name)))


@functools.cache
def _fast(name: str) -> Any:
    """A compiled pre-check (fastjsonschema, generated ahead of time): only a document it refuses gets
    jsonschema's located report, so the common path never imports jsonschema."""
    import fastjsonschema

    from qcdeploy.manifests.schemacheck import validator

    validate = validator(name, schema_text(name))

    def valid(value: Any) -> bool:
        try:
            validate(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return valid


def check(doc: Document, name: str = SCHEMA_FILE) -> list[Problem]:
    """Every schema violation in doc, each at the place it was written."""
    return [] if _fast(name)(doc.value) else located(doc, name)


def located(doc: Document, name: str = SCHEMA_FILE) -> list[Problem]:
    """jsonschema's full report on doc, each problem at file:line:col."""
    problems: list[Problem] = []
    for error in sorted(_validator(name).iter_errors(doc.value), key=lambda e: list(e.absolute_path)):
        path: KeyPath = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            problems.extend(_unknown_keys(doc, path, error))
        else:
            problems.append(Problem(f"{dotted(path)}: {_message(error)}", doc.where(path)))
    return problems


def _unknown_keys(doc: Document, path: KeyPath, error: Any) -> list[Problem]:
    allowed = set(error.schema.get("properties", {}))
    unknown = [key for key in error.instance if key not in allowed]
    return [
        Problem(f"{dotted((*path, key))}: unknown key '{key}'{allowed_hint(key, allowed)}", doc.where((*path, key)))
        for key in unknown
    ]


def allowed_hint(key: str, allowed: AbstractSet[str]) -> str:
    """`(did you mean 'node'?)` for a near miss, else the allowed keys."""
    import difflib

    near = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)
    if near:
        return f" (did you mean '{near[0]}'?)"
    return f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""


def _message(error: Any) -> str:
    if error.validator == "type" and error.instance is None:
        wanted = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return f"a value is needed here ({wanted}), not null (an empty value in YAML)"
    if (
        error.validator == "type"
        and error.validator_value == "string"
        and isinstance(error.instance, (bool, int, float))
    ):
        return _unquoted(error.instance)
    if error.validator == "pattern" and error.validator_value == DURATION:
        return f"{error.instance!r} is not a duration: write a number and a unit, such as 30s, 15m, 24h or 2d"
    if error.validator == "const":
        return f"must be {error.validator_value!r}, not {error.instance!r}"
    if error.validator == "enum" and list(error.absolute_path)[-1:] == ["id"] and "spec" in error.absolute_path:
        return _unknown_module(error)
    if error.validator == "enum":
        choices = ", ".join(repr(v) for v in error.validator_value)
        return f"{error.instance!r} is not one of {choices}"
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "name":
        return (
            f"{error.instance!r} is not a valid name: use lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    if error.validator == "anyOf" and error.absolute_path and error.absolute_path[-1] == "project":
        return f"{error.instance!r} is not a project id (a positive integer) or a project name"
    if error.validator == "anyOf" and "targets" in error.absolute_path:
        return (
            "a notification target needs address+subject (email), address+headers (webhook), "
            "phoneNumber (SMS) or id (Telegram)"
        )
    return str(error.message)


def _unquoted(value: bool | int | float) -> str:
    """YAML 1.1 reads some unquoted text as a number or a boolean the user never wrote: say why, and to quote it."""
    if isinstance(value, bool):
        word = str(value).lower()
        return f"must be a string; YAML read the unquoted value as the boolean {word} (as yes, no, on, off): quote it"
    hint = ""
    if isinstance(value, int) and value >= 60:  # YAML 1.1 sexagesimal: 22:00:00 is 79200
        hours, rest = divmod(value, 3600)
        hint = f" (an unquoted {hours}:{rest // 60:02d}:{rest % 60:02d} is read as {value} seconds, base 60)"
    return f"must be a string; YAML read the unquoted value as the number {value!r}{hint}: quote it"


def _unknown_module(error: Any) -> str:
    from qcdeploy.manifests.brokerages import DISPLAY_NAMES, nearest

    kind = "brokerage" if "brokerage" in error.absolute_path else "data provider"
    known = {str(v): v for v in error.validator_value}
    if DISPLAY_NAMES.get(str(error.instance)) in known:
        module = DISPLAY_NAMES[str(error.instance)]
        return f"{error.instance!r} is the display name the API reports; the module id is {module!r}"
    guess = nearest(str(error.instance), known)
    hint = f"did you mean {guess!r}?" if guess else f"known: {', '.join(sorted(known))}"
    return f"{error.instance!r} is not a known {kind} id ({hint})"
