"""Dotted paths into nested dicts (``complainant.email``): reading, nesting and flattening, in one place.

The form's fields, the complaint's JSON, CSV columns and profile-file keys all name a value by
its dotted path; these four helpers are the only code that walks between the two shapes.

>>> flatten({"complainant": {"email": "a@b.dk", "phone": None}, "subject": "x"})
{'complainant.email': 'a@b.dk', 'complainant.phone': None, 'subject': 'x'}
>>> nest({"complainant.email": "a@b.dk", "subject": "x"})
{'complainant': {'email': 'a@b.dk'}, 'subject': 'x'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["flatten", "get_path", "leaf_paths", "nest"]


def get_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at ``path``, or None when any part of it is missing."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every leaf under its dotted path (nested mappings walked, everything else a leaf)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def leaf_paths(data: Mapping[str, Any]) -> list[str]:
    """The dotted paths that hold a value (not None, not an empty string)."""
    return [path for path, value in flatten(data).items() if value is not None and value != ""]


def nest(pairs: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The nested dict that ``path: value`` pairs describe."""
    out: dict[str, Any] = {}
    for path, value in pairs.items() if isinstance(pairs, Mapping) else pairs:
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out
