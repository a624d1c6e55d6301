"""Lines of a drafted parameter file: values written as YAML the parameter reader reads back as
written, flow lists wrapped to the page, and a comment beside each guess (how sure, and why)."""

from __future__ import annotations

from typing import Any

import yaml


def plain(value: Any) -> Any:
    """Numpy and pandas scalars as Python ones, inside lists and mappings too."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def as_yaml(value: Any) -> str:
    """A value as one line of YAML that the parameter reader reads back as written."""
    value = plain(value)
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9, sort_keys=False)
    text = text.strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def flow_list(values: list[Any], indent: int, width: int = 100) -> str:
    """A list in flow style, wrapped to the width."""
    parts = [as_yaml(v) for v in values]
    lines, line = [], "["
    for i, p in enumerate(parts):
        piece = p + (", " if i < len(parts) - 1 else "]")
        if len(line) + len(piece) + indent > width and line != "[":
            lines.append(line.rstrip())
            line = " " * (indent + 1)
        line += piece
    lines.append(line if parts else "[]")
    return "\n".join(lines)


def commented(line: str, why: str, sure: str | None = None, column: int = 34) -> str:
    """A line of YAML with its comment (how sure, and why) in a column of its own."""
    note = f"{sure}: {why}" if sure else why
    return f"{line.ljust(column)} # {note}" if note else line
