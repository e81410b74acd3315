"""Public names a package loads on first use (PEP 562): one ``__getattr__``/``__dir__`` pair for every package.

The command line reads ``klageformular``, ``klageformular.register``, ``klageformular.intake``
and ``klageformular.web`` at every start; what they export (SQLAlchemy's models, the mail
stack, FastAPI, the PDF reader) must load only when a command uses it (issues 19 and 25:
start-up). Each package lists its public names with the submodule that defines them and says::

    __getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals())
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: Mapping[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for ``homes`` (public name -> submodule under ``package``).

    A name is imported from its submodule the first time it is asked for and then kept in
    ``namespace`` (the package's globals), so later look-ups never come here again.
    """
    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's own name)
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(set(namespace) | set(homes))

    return __getattr__, __dir__
