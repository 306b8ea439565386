"""YAML documents turned into plain values, remembering the file:line:col of every key and item."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from qcdeploy.errors import Location, Problem
from qcdeploy.files import MAX_DIGITS, MAX_FLOAT
from qcdeploy.model import KeyPath, dotted

try:  # the C parser is ~10x faster on large fleets; fall back when libyaml is missing
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

MAX_DEPTH = 32  # a manifest nests 5 levels deep; nothing legitimate comes near
MAX_VALUES = 100_000  # per document; a large manifest has a few hundred
_PRESCAN_BYTES = 2 * MAX_VALUES  # a shorter text cannot hold MAX_VALUES values (each takes 2 bytes at least)
_INT = "tag:yaml.org,2002:int"
_SCALARS = yaml.SafeLoader("")  # only its constructor is used, for scalar values


@dataclass
class Document:
    """One YAML document: its value and where each path inside it was written."""

    file: str
    index: int
    value: Any
    locations: dict[KeyPath, Location] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    size: int = 0  # values constructed so far (aliases count each time they are expanded)
    open_nodes: set[int] = field(default_factory=set, repr=False)  # mappings and lists being constructed

    def where(self, path: KeyPath) -> Location:
        """The location of path, or of its nearest written ancestor."""
        for cut in range(len(path), -1, -1):
            loc = self.locations.get(path[:cut])
            if loc is not None:
                return loc
        return Location(self.file, 1, 1)


def read_documents(file: str, text: str) -> Iterator[Document]:
    """Yield every non-empty document in text; a syntax error becomes a Document with a problem."""
    crowded = _crowded(file, text) if len(text) > _PRESCAN_BYTES else None
    if crowded is not None:
        yield Document(file, 0, None, problems=[crowded])
        return
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        yield Document(file, 0, None, problems=[Problem(f"invalid YAML: {reason}", loc)])
        return
    except yaml.YAMLError as exc:
        yield Document(file, 0, None, problems=[Problem(f"invalid YAML: {exc}", Location(file, 1, 1))])
        return
    except RecursionError:
        yield Document(file, 0, None, problems=[Problem("invalid YAML: nested too deeply", Location(file, 1, 1))])
        return
    for index, node in enumerate(nodes):
        if node is None:
            continue
        doc = Document(file, index, None)
        doc.locations[()] = _loc(file, node)
        try:
            doc.value = _construct(node, (), doc)
        except _Refused as exc:  # hostile or broken structure: one problem, where it was found
            doc.value, doc.problems = None, [Problem(exc.message, exc.where)]
        finally:
            _SCALARS.constructed_objects.clear()  # its cache would keep every node of every file alive
        if doc.value is not None or doc.problems:  # an empty document (a trailing ---) is nothing
            yield doc


def _crowded(file: str, text: str) -> Problem | None:
    """A document of more than MAX_VALUES values, found from the parser's events before any node is built:
    composing 120,000 keys first took 2.5 s and 130 MB, only to refuse them. Aliases are counted later, as
    they are expanded; a syntax error is left to the composer to report."""
    count = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                count = 0
            elif isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                count += 1
                if count > MAX_VALUES:
                    mark = event.start_mark
                    where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
                    return Problem(f"the document holds more than {MAX_VALUES} values (far too large)", where)
    except yaml.YAMLError:
        return None
    return None


def _loc(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Refused(Exception):
    def __init__(self, message: str, where: Location) -> None:
        super().__init__(message)
        self.message, self.where = message, where


def _construct(node: yaml.Node, path: KeyPath, doc: Document) -> Any:
    _guard(node, path, doc)
    if isinstance(node, yaml.MappingNode):
        doc.open_nodes.add(id(node))
        try:
            return _mapping(node, path, doc)
        finally:
            doc.open_nodes.discard(id(node))
    if isinstance(node, yaml.SequenceNode):
        doc.open_nodes.add(id(node))
        items = []
        for i, child in enumerate(node.value):
            item_path = (*path, i)
            doc.locations[item_path] = _loc(doc.file, child)
            items.append(_construct(child, item_path, doc))
        doc.open_nodes.discard(id(node))
        return items
    return _scalar(node, path, doc)


def _scalar(node: yaml.Node, path: KeyPath, doc: Document) -> Any:
    """A plain value; numbers past any sane size are refused before Python is asked to parse them (past 4,300
    digits int() raises; 1.0e+999 reads as inf)."""
    if node.tag == _INT and len(node.value) > MAX_DIGITS:
        where = f"{dotted(path)}: " if path else ""
        message = f"{where}an integer of {len(node.value)} digits (at most {MAX_DIGITS})"
        doc.problems.append(Problem(message, _loc(doc.file, node)))
        return None
    try:
        value = _SCALARS.construct_object(node)
    except (yaml.YAMLError, ValueError) as exc:
        doc.problems.append(Problem(f"invalid value: {exc}", _loc(doc.file, node)))
        return None
    if isinstance(value, float) and not (math.isfinite(value) and abs(value) <= MAX_FLOAT):
        what = "is not a finite number (JSON cannot carry it)" if not math.isfinite(value) else "is too large a number"
        doc.problems.append(Problem(f"{dotted(path)}: {value!r} {what}", _loc(doc.file, node)))
        return None
    return value


def _guard(node: yaml.Node, path: KeyPath, doc: Document) -> None:
    """Aliases are shared nodes: expanding them is bounded (billion laughs), and one inside itself refused."""
    if id(node) in doc.open_nodes:
        raise _Refused(f"{dotted(path)}: an alias refers to a mapping or list that contains it", _loc(doc.file, node))
    if len(path) > MAX_DEPTH:
        raise _Refused(f"{dotted(path[:3])}…: nested deeper than {MAX_DEPTH} levels", _loc(doc.file, node))
    doc.size += 1
    if doc.size > MAX_VALUES:
        raise _Refused(
            f"the document holds more than {MAX_VALUES} values (aliases expanding, or far too large)",
            doc.where(()),
        )


def _merged(node: yaml.MappingNode, doc: Document) -> list[tuple[yaml.Node, yaml.Node]]:
    """YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`): merged pairs first, so explicit keys win."""
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    own: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):  # `? {a: 1}`: a mapping or list as a key
            doc.problems.append(
                Problem("mapping keys must be plain strings, not a mapping or list", _loc(doc.file, key_node))
            )
            continue
        if key_node.tag != "tag:yaml.org,2002:merge":
            own.append((key_node, value_node))
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise _Refused("a merge key (<<) takes a mapping or a list of mappings", _loc(doc.file, source))
            merged.extend(_merged(source, doc))
    taken = {k.value for k, _ in own}
    first: list[tuple[yaml.Node, yaml.Node]] = []
    for pair in merged:  # the earlier source wins, as YAML's merge key says
        if pair[0].value not in taken:
            taken.add(pair[0].value)
            first.append(pair)
    return first + own


def _mapping(node: yaml.MappingNode, path: KeyPath, doc: Document) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in _merged(node, doc):
        key = _construct(key_node, path, doc)
        where = _loc(doc.file, key_node)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            doc.problems.append(Problem("mapping keys must be plain strings", where))
            continue
        key = str(key)
        key_path = (*path, key)
        if key in result:
            first = doc.locations[key_path]
            doc.problems.append(Problem(f"duplicate key '{key}' (first written at line {first.line})", where))
            continue
        doc.locations[key_path] = where
        result[key] = _construct(value_node, key_path, doc)
    return result
