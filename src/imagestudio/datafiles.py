"""Reading the package's YAML data files (catalog, plans, operations, targets, palettes).

libyaml's C parser when PyYAML was built with it (its wheels are): the pure-Python
parser took about 0.2 s of CPU for the catalog alone, on every start of the server,
the CLI and each test's app. Both accept the same safe subset of YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """The data in ``text`` (safe YAML: plain data types only)."""
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader


def read_yaml(path: Path) -> Any:
    """The data in the UTF-8 YAML file at ``path``."""
    return parse_yaml(path.read_text(encoding="utf-8"))
