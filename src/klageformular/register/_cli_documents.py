"""``register open REF [--doc N] -o FILE`` and ``register copy --from URL --to URL``: arguments → one call → print."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._files import one_line

if TYPE_CHECKING:
    from ._service import Register

__all__ = ["add_document_commands"]


def _open(args: argparse.Namespace, register: Register) -> int:
    from ..exceptions import ConfigurationError
    from . import list_documents, write_document

    if args.doc is not None and not args.output:
        raise ConfigurationError("--doc N needs -o FILE (where to write it)")
    with register.reading() as session:
        if args.doc is not None:
            document = write_document(session, args.reference, args.doc, args.output)
            print(f"{args.output}: {document.size or 0:,} bytes, {document.content_type or 'unknown type'}, "
                  f"sha256 {document.sha256}")
            return 0
        documents = list_documents(session, args.reference)
    reference = args.reference.strip().upper()
    print(f"{reference}: {len(documents)} document(s)" + (" (write one with --doc N -o FILE)" if documents else ""))
    for d in documents:
        flags = [f for f, on in (("unreadable", d.unreadable), (f"missing: {d.note or '?'}", d.missing)) if on]
        size = f"{d.size:,} bytes" if d.size is not None else "size unknown"
        print(f"  {d.number:>2}  {d.kind:<10}  {d.content_type or '-':<28}  {size:>16}  "
              f"{one_line(d.name or '-')}{'  [' + '; '.join(flags) + ']' if flags else ''}")
    return 0


def _copy(args: argparse.Namespace) -> int:
    from sqlalchemy import make_url

    from . import copy_register, create_register_engine

    source = create_register_engine(args.source)
    target = create_register_engine(args.target)
    try:
        summary = copy_register(source, target)
    finally:
        source.dispose()
        target.dispose()
    where = make_url(target.url).render_as_string(hide_password=True)
    rows = summary.rows
    print(f"{where}: copied {rows.get('complaints', 0):,} case(s), {rows.get('events', 0):,} event(s), "
          f"{rows.get('documents', 0):,} document(s) ({rows.get('blobs', 0):,} file(s)), "
          f"{rows.get('reference_counters', 0):,} counter(s)")
    return 0


def add_document_commands(add: Callable[[str, Any, str], argparse.ArgumentParser], commands: Any,
                          guarded: Callable[[Callable[[], int]], int]) -> None:
    """Add ``open`` (with ``add(name, func, help)``, on ``--db``'s register) and ``copy`` (two
    databases of its own, so straight on ``commands``; ``guarded`` makes database errors one line).
    """
    p = add("open", _open, "a case's documents: list them, or write one (--doc N -o FILE)")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--doc", type=int, metavar="N", help="the document's number in the list")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write it (created 0600)")
    p = commands.add_parser("copy", help="copy the whole register into an empty database (SQLite ⇄ PostgreSQL)")
    p.set_defaults(func=lambda args: guarded(lambda: _copy(args)))
    p.add_argument("--from", dest="source", required=True, metavar="URL", help="e.g. sqlite:///klager.db")
    p.add_argument("--to", dest="target", required=True, metavar="URL", help="e.g. postgresql://host/klager")
