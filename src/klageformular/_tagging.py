"""Tagged PDF: marked content while reportlab draws, the structure tree written with pypdf afterwards.

reportlab has no tagged-PDF API, so the two halves are split. While a page is drawn,
:class:`Tagger` wraps each piece of content in a marked-content sequence through reportlab's
public ``Canvas.addLiteral`` (``/P <</MCID 3>> BDC … EMC``) and records, in reading order, which
structure element owns it; page furniture goes inside :func:`artifact` (``/Artifact BMC … EMC``)
and is left out of the tree. Widgets are placeholders in that record (:class:`Widget`), because
they do not exist yet. Once pypdf has added the fields, :func:`write_structure` turns the record
into ``/StructTreeRoot`` with its ``/ParentTree``, gives pages ``/StructParents`` and widgets
``/StructParent``, and marks the catalog (``/MarkInfo``).

Marking adds operators only, never changes one: the pages look exactly as before.
Not supported: tables, figures and attributes (``/A``) — nothing drawn here needs them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.platypus import Paragraph

__all__ = ["Elem", "MarkedParagraph", "Tagger", "Widget", "artifact", "marked", "write_structure"]


@dataclass(frozen=True)
class Content:
    """A marked-content sequence: page number (1-based) and its MCID on that page."""

    page: int
    mcid: int


@dataclass(frozen=True)
class Widget:
    """A widget annotation to be, by a key the caller resolves in :func:`write_structure`."""

    key: str


@dataclass
class Elem:
    """A structure element: its standard type (``P``, ``H1``, ``Form`` …) and kids in reading order."""

    role: str
    kids: list[Elem | Content | Widget] = field(default_factory=list)
    alt: str | None = None

    def add(self, role: str, *, alt: str | None = None) -> Elem:
        """A new child element, appended (reading order is the order of calls)."""
        child = Elem(role, alt=alt)
        self.kids.append(child)
        return child


def _page(canvas: Any) -> int:
    return int(canvas.getPageNumber())


@contextmanager
def artifact(canvas: Any, kind: str = "Layout") -> Iterator[None]:
    """Draw inside this block what is not content (rules, marks, running heads): readers skip it.

    ``kind`` is the artifact's ``/Type``: ``Layout`` for decoration, ``Pagination`` for running
    heads, footers and page codes.
    """
    canvas.addLiteral(f"/Artifact <</Type /{kind}>> BDC")
    try:
        yield
    finally:
        canvas.addLiteral("EMC")


class Tagger:
    """Marks what a reportlab canvas draws and records the structure it belongs to."""

    def __init__(self, canvas: Any = None, root: str = "Document") -> None:
        """``canvas`` may be set later (a document template makes its canvas itself)."""
        self.canvas = canvas
        self.root = Elem(root)
        self._next: defaultdict[int, int] = defaultdict(int)

    @contextmanager
    def mark(self, elem: Elem) -> Iterator[Elem]:
        """Draw inside this block content that belongs to ``elem`` (one more MCID on this page)."""
        page = _page(self.canvas)
        mcid = self._next[page]
        self._next[page] += 1
        elem.kids.append(Content(page, mcid))
        self.canvas.addLiteral(f"/{elem.role} <</MCID {mcid}>> BDC")
        try:
            yield elem
        finally:
            self.canvas.addLiteral("EMC")

    @contextmanager
    def tagged(self, role: str, parent: Elem | None = None) -> Iterator[Elem]:
        """A new element under ``parent`` (default: the root) holding what is drawn inside."""
        elem = (parent or self.root).add(role)
        with self.mark(elem):
            yield elem

    def widget(self, key: str, parent: Elem | None = None, *, alt: str | None = None) -> Elem:
        """A ``Form`` element for the widget that :func:`write_structure` will find under ``key``."""
        elem = (parent or self.root).add("Form", alt=alt)
        elem.kids.append(Widget(key))
        return elem


def _dict(ref: IndirectObject) -> DictionaryObject:
    obj = ref.get_object()
    assert isinstance(obj, DictionaryObject)
    return obj


def write_structure(writer: PdfWriter, root: Elem, widgets: Mapping[str, IndirectObject], *, lang: str) -> None:
    """Write ``root`` as the document's structure tree; ``widgets`` resolves every :class:`Widget` key.

    A widget key without a widget, or a widget that is not in the tree, is a bug: it raises.
    """
    pages: list[IndirectObject] = []
    for p in writer.pages:
        assert p.indirect_reference is not None  # a writer's pages are always indirect
        pages.append(p.indirect_reference)
    by_page: defaultdict[int, dict[int, IndirectObject]] = defaultdict(dict)  # page → mcid → element
    objr_parents: list[tuple[IndirectObject, IndirectObject]] = []  # (widget, element)

    def build(elem: Elem, parent: IndirectObject) -> IndirectObject:
        node = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"),
                                 NameObject("/S"): NameObject(f"/{elem.role}"),
                                 NameObject("/P"): parent})
        ref = writer._add_object(node)
        if elem.alt:
            node[NameObject("/Alt")] = TextStringObject(elem.alt)
        first_page: int | None = None
        kids = ArrayObject()
        for kid in elem.kids:
            if isinstance(kid, Elem):
                kids.append(build(kid, ref))
            elif isinstance(kid, Content):
                by_page[kid.page][kid.mcid] = ref
                if first_page is None:
                    first_page = kid.page
                if kid.page == first_page:
                    kids.append(NumberObject(kid.mcid))
                else:  # a paragraph running on to the next page
                    kids.append(DictionaryObject({NameObject("/Type"): NameObject("/MCR"),
                                                  NameObject("/Pg"): pages[kid.page - 1],
                                                  NameObject("/MCID"): NumberObject(kid.mcid)}))
            else:
                annot = widgets[kid.key]
                objr_parents.append((annot, ref))
                kids.append(DictionaryObject({NameObject("/Type"): NameObject("/OBJR"),
                                              NameObject("/Obj"): annot,
                                              NameObject("/Pg"): _dict(annot).raw_get("/P")}))
        if first_page is not None:
            node[NameObject("/Pg")] = pages[first_page - 1]
        elif objr_parents and objr_parents[-1][1] is ref:
            node[NameObject("/Pg")] = _dict(objr_parents[-1][0]).raw_get("/P")
        # One kid stands alone (the common form, and the one every checker reads); more make an array.
        node[NameObject("/K")] = kids[0] if len(kids) == 1 else kids
        return ref

    tree_root = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    tree_ref = writer._add_object(tree_root)
    document = build(root, tree_ref)
    nums = ArrayObject()
    for index, page_ref in enumerate(pages):
        page = _dict(page_ref)
        marked = by_page.get(index + 1, {})
        if sorted(marked) != list(range(len(marked))):
            raise RuntimeError(f"page {index + 1}: marked content is not numbered 0..n-1")
        page[NameObject("/StructParents")] = NumberObject(index)
        nums += [NumberObject(index), writer._add_object(ArrayObject(marked[m] for m in sorted(marked)))]
    key = len(pages)
    seen = {id(annot.get_object()) for annot, _ in objr_parents}
    if len(seen) != len(widgets):
        raise RuntimeError("a widget is missing from the structure tree")
    for annot, elem_ref in objr_parents:
        _dict(annot)[NameObject("/StructParent")] = NumberObject(key)
        nums += [NumberObject(key), elem_ref]
        key += 1
    tree_root.update({
        NameObject("/K"): document,
        NameObject("/ParentTree"): writer._add_object(DictionaryObject({NameObject("/Nums"): nums})),
        NameObject("/ParentTreeNextKey"): NumberObject(key),
    })
    catalog = writer.root_object
    catalog[NameObject("/StructTreeRoot")] = tree_ref
    catalog[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
    catalog[NameObject("/Lang")] = TextStringObject(lang)
    given = catalog.get("/ViewerPreferences")
    prefs = given.get_object() if given is not None else DictionaryObject()
    assert isinstance(prefs, DictionaryObject)
    prefs[NameObject("/DisplayDocTitle")] = BooleanObject(True)
    catalog[NameObject("/ViewerPreferences")] = prefs


class MarkedParagraph(Paragraph):  # type: ignore[misc]  # reportlab is untyped
    """A Paragraph whose drawing is marked as content of a structure element, on every page it runs to.

    reportlab splits a paragraph by constructing ``self.__class__`` again, so the element is
    copied onto each part.
    """

    tag: tuple[Tagger, Elem] | None = None

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803 - reportlab's names
        if self.tag is None:
            raise RuntimeError("a MarkedParagraph drawn without its structure element")
        tagger, elem = self.tag
        with tagger.mark(elem):
            super().drawOn(canvas, x, y, _sW)

    def split(self, availWidth: float, availHeight: float) -> list[Any]:  # noqa: N803 - reportlab's names
        parts: list[Any] = super().split(availWidth, availHeight)
        for part in parts:
            part.tag = self.tag
        return parts


def marked(text: str, style: Any, tagger: Tagger, elem: Elem) -> MarkedParagraph:
    """A :class:`MarkedParagraph` of ``text`` belonging to ``elem``."""
    para = MarkedParagraph(text, style)
    para.tag = (tagger, elem)
    return para
