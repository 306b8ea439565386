"""What a step hands back to GitHub Actions: outputs, the job summary, annotations (workflow commands)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path


def set_output(environ: Mapping[str, str], **values: str) -> None:
    """key=value lines in $GITHUB_OUTPUT (dashes in names: has_changes -> has-changes)."""
    _append(environ.get("GITHUB_OUTPUT"), "".join(f"{k.replace('_', '-')}={v}\n" for k, v in values.items()))


def summary(environ: Mapping[str, str], markdown: str) -> None:
    _append(environ.get("GITHUB_STEP_SUMMARY"), markdown if markdown.endswith("\n") else markdown + "\n")


def annotate(level: str, title: str, message: str) -> None:
    """::error / ::warning / ::notice, escaped as GitHub's workflow commands require."""
    sys.stdout.write(f"::{level} title={_escape(title, True)}::{_escape(message)}\n")
    sys.stdout.flush()


def _escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def _append(path: str | None, text: str) -> None:
    if path:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(text)
