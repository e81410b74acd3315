"""The form's layout as data: pages, field names, JSON paths, kinds, rectangles, flags, options.

This is the one place where the form's geometry and field names are defined; the renderer
draws it, both parsers read it, and ``klageformular fields --json`` prints it. Labels and
tooltips come from the language catalogues in :mod:`klageformular.locales`, keyed by path.

Coordinates are PDF points on an A4 page, origin bottom-left, ``Rect(x0, y0, x1, y1)``.

>>> field_by_path("complainant.email").name
'complainant_email'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

__all__ = [
    "FORM_ID",
    "FORM_VERSION",
    "LAYOUT",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "REGISTRATION_MARKS",
    "Block",
    "FieldSpec",
    "Kind",
    "Layout",
    "Option",
    "Rect",
    "field_by_name",
    "field_by_path",
]

FORM_ID = "KLAGEFORMULAR"
FORM_VERSION = "1.0"
PAGE_WIDTH, PAGE_HEIGHT = 595.2756, 841.8898  # A4
MARGIN = 45.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

BOX_HEIGHT = 17.0  # one-line text box
LABEL_GAP = 11.0  # from a box's top edge to its label's baseline-box top
ROW = BOX_HEIGHT + LABEL_GAP + 5.0
CHOICE_SIZE = 11.0  # checkbox and radio squares
COLUMN_GAP = 10.0

# Filled squares near the corners, so a printed or rescaled copy can be located. Centres.
MARK_SIZE = 8.0
REGISTRATION_MARKS = ((22.0, 22.0), (PAGE_WIDTH - 22.0, 22.0), (22.0, PAGE_HEIGHT - 22.0),
                      (PAGE_WIDTH - 22.0, PAGE_HEIGHT - 22.0))
IDENTIFIER_BASELINE = (MARGIN, 28.0)  # "KLAGEFORMULAR 1.0 da · side 1/3", 7 pt


class Kind(StrEnum):
    """What a field holds; decides its PDF type, flags and validation."""

    TEXT = "text"
    MULTILINE = "multiline"
    EMAIL = "email"
    PHONE = "phone"
    DATE = "date"
    AMOUNT = "amount"
    CHECKBOX = "checkbox"
    RADIO = "radio"

    @property
    def is_choice(self) -> bool:
        """Checkbox or radio: a button field, not a text field."""
        return self in (Kind.CHECKBOX, Kind.RADIO)


@dataclass(frozen=True)
class Rect:
    """A rectangle in PDF points, origin bottom-left."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        """x1 - x0."""
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        """y1 - y0."""
        return self.y1 - self.y0

    def as_list(self) -> list[float]:
        """[x0, y0, x1, y1], rounded to 2 decimals as written into the PDF."""
        return [round(v, 2) for v in (self.x0, self.y0, self.x1, self.y1)]


@dataclass(frozen=True)
class Option:
    """One choice of a radio group: the PDF export value, the model value, and its box."""

    export: str
    value: str
    rect: Rect


@dataclass(frozen=True)
class FieldSpec:
    """One form field. Label and tooltip text: ``locales.label(path, lang)``."""

    path: str
    kind: Kind
    page: int  # 1-based
    rect: Rect  # the text box; for radios the union of the option boxes
    required: bool = False
    max_length: int | None = None
    options: tuple[Option, ...] = ()
    on_value: str = "Yes"  # checkbox export value

    @property
    def name(self) -> str:
        """The PDF field name: the JSON path with '_' for '.', so no hierarchy is implied."""
        return self.path.replace(".", "_")

    @property
    def multiline(self) -> bool:
        """Rendered as a multi-line text field."""
        return self.kind is Kind.MULTILINE


@dataclass(frozen=True)
class Block:
    """A static element: a section heading, a help note, or the signature line."""

    key: str  # catalogue key of its text
    kind: str  # "heading", "subheading", "note", "signature"
    page: int
    rect: Rect


@dataclass(frozen=True)
class Layout:
    """All pages of one form version."""

    version: str
    page_count: int
    fields: tuple[FieldSpec, ...]
    blocks: tuple[Block, ...]
    info_page: int  # the page with "how we handle your complaint"

    def pages_with_fields(self) -> list[int]:
        """1-based numbers of the pages that carry fields."""
        return sorted({f.page for f in self.fields})

    def fields_on(self, page: int) -> Iterator[FieldSpec]:
        """Fields of one page in reading (tab) order."""
        return (f for f in self.fields if f.page == page)


@dataclass
class _Builder:
    """Lays fields out row by row from the top of each page; produces a frozen :class:`Layout`."""

    page: int = 1
    y: float = 0.0
    fields: list[FieldSpec] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def new_page(self, page: int, top: float) -> None:
        self.page, self.y = page, top

    def heading(self, key: str, kind: str = "heading") -> None:
        height = 20.0 if kind == "heading" else 15.0
        self.blocks.append(Block(key, kind, self.page, Rect(MARGIN, self.y - height, PAGE_WIDTH - MARGIN, self.y)))
        self.y -= height + 2.0

    def note(self, key: str, height: float) -> None:
        self.blocks.append(Block(key, "note", self.page, Rect(MARGIN, self.y - height, PAGE_WIDTH - MARGIN, self.y)))
        self.y -= height + 4.0

    def row(self, *cols: tuple[str, Kind, float] | tuple[str, Kind, float, Mapping[str, object]],
            height: float = BOX_HEIGHT, span: float = 1.0) -> None:
        """Columns share ``span`` of the content width by weight; the label sits above each box."""
        total = sum(c[2] for c in cols)
        usable = CONTENT_WIDTH * span - COLUMN_GAP * (len(cols) - 1)
        x = MARGIN
        top = self.y - LABEL_GAP
        for col in cols:
            path, kind, weight = col[0], col[1], col[2]
            extra: Mapping[str, object] = col[3] if len(col) > 3 else {}
            width = usable * weight / total
            rect = Rect(x, top - height, x + width, top)
            self.fields.append(FieldSpec(path=path, kind=kind, page=self.page, rect=rect, **extra))  # type: ignore[arg-type]
            x += width + COLUMN_GAP
        self.y = top - height - 5.0

    def choices(self, path: str, kind: Kind, options: list[tuple[str, str]], *, label_width: float,
                option_width: float, required: bool = False) -> None:
        """A radio group (options) or a single checkbox (one option), label to the left."""
        top = self.y - 2.0
        y0 = top - CHOICE_SIZE
        x = MARGIN + label_width
        opts = []
        for export, value in options:
            opts.append(Option(export, value, Rect(x, y0, x + CHOICE_SIZE, top)))
            x += option_width
        union = Rect(opts[0].rect.x0, y0, opts[-1].rect.x1, top)
        if kind is Kind.CHECKBOX:
            self.fields.append(FieldSpec(path=path, kind=kind, page=self.page, rect=opts[0].rect))
        else:
            self.fields.append(FieldSpec(path=path, kind=kind, page=self.page, rect=union,
                                         options=tuple(opts), required=required))
        self.y = y0 - 6.0

    def build(self, page_count: int, info_page: int) -> Layout:
        return Layout(FORM_VERSION, page_count, tuple(self.fields), tuple(self.blocks), info_page)


T, ML, EM, PH, DT, AM = Kind.TEXT, Kind.MULTILINE, Kind.EMAIL, Kind.PHONE, Kind.DATE, Kind.AMOUNT
_L = {"max_length": 120}
_S = {"max_length": 20}


def _party(b: _Builder, prefix: str, *, required: bool) -> None:
    b.row((f"{prefix}.last_name", T, 1, {"max_length": 120, "required": required}),
          (f"{prefix}.first_name", T, 1, _L))
    b.row((f"{prefix}.registration_number", T, 1, {"max_length": 30}), (f"{prefix}.lei", T, 1, {"max_length": 24}))
    b.row((f"{prefix}.street", T, 1, _L))
    b.row((f"{prefix}.postcode", T, 1, _S), (f"{prefix}.city", T, 2.5, _L),
          (f"{prefix}.country", T, 2, {"max_length": 60}))
    b.row((f"{prefix}.phone", PH, 1, {"max_length": 30}), (f"{prefix}.email", EM, 1.6, _L))


def _contact(b: _Builder, prefix: str) -> None:
    b.row((f"{prefix}.street", T, 3, _L), (f"{prefix}.postcode", T, 1, _S), (f"{prefix}.city", T, 2.2, _L))
    b.row((f"{prefix}.country", T, 1.3, {"max_length": 60}), (f"{prefix}.phone", PH, 1.3, {"max_length": 30}),
          (f"{prefix}.email", EM, 2.2, _L))


def _build() -> Layout:
    b = _Builder()
    # Page 1: who complains (1) and who represents them (2).
    b.new_page(1, PAGE_HEIGHT - 92.0)  # below the title block
    b.note("intro", 40.0)
    b.heading("section.1")
    b.choices("complainant.role", Kind.RADIO, [("investor", "investor"), ("borrower", "borrower"),
                                               ("other", "other")], label_width=150.0, option_width=85.0)
    b.row(("complainant.client_reference", T, 1, {"max_length": 40}), span=0.4)
    _party(b, "complainant", required=True)
    b.choices("reply_channel", Kind.RADIO, [("electronic", "electronic"), ("paper", "paper")],
              label_width=150.0, option_width=120.0)
    b.heading("section.1b", "subheading")
    _contact(b, "complainant_contact")
    b.heading("section.2", "heading")
    b.note("section.2.note", 12.0)
    _party(b, "representative", required=False)
    b.heading("section.2b", "subheading")
    _contact(b, "representative_contact")

    # Page 2: the complaint (3), documentation, reply channel and signature.
    b.new_page(2, PAGE_HEIGHT - 50.0)
    b.heading("section.3")
    b.row(("investment.reference", T, 1, {"max_length": 60}), ("investment.project", T, 1.6, _L))
    b.row(("investment.transactions", T, 1, {"max_length": 200}))
    b.row(("subject", ML, 1, {"max_length": 6000, "required": True}), height=256.0)
    b.row(("facts_date", DT, 1, _S), ("facts_date_end", DT, 1, _S), ("damage.amount", AM, 1, {"max_length": 30}),
          ("damage.currency", T, 0.6, {"max_length": 3}))
    b.row(("damage.description", ML, 1, {"max_length": 1500}), height=40.0)
    b.row(("other_comments", ML, 1, {"max_length": 2000}), height=44.0)
    b.heading("section.4")
    for key in ("power_of_attorney", "contractual_documents", "other_documents"):
        b.choices(f"documentation.{key}", Kind.CHECKBOX, [("Yes", "true")], label_width=0.0, option_width=0.0)
    b.row(("documentation.other_documents_list", ML, 1, {"max_length": 500}), height=24.0)
    b.heading("section.5")
    b.row(("signature.place", T, 1.4, {"max_length": 60}), ("signature.date", DT, 1, _S))
    b.choices("signature.signatory", Kind.RADIO, [("complainant", "complainant"), ("representative", "representative")],
              label_width=150.0, option_width=120.0)
    # Room to sign by hand below the signatory choice.
    b.blocks.append(Block("signature", "signature", 2, Rect(MARGIN, b.y - 46.0, MARGIN + 260.0, b.y - 6.0)))
    # Page 3 is the information page; it has no fields.
    return b.build(page_count=3, info_page=3)


LAYOUT = _build()


@cache
def _by_name() -> dict[str, FieldSpec]:
    return {f.name: f for f in LAYOUT.fields}


@cache
def _by_path() -> dict[str, FieldSpec]:
    return {f.path: f for f in LAYOUT.fields}


def field_by_name(name: str) -> FieldSpec | None:
    """The field with this PDF field name, or None."""
    return _by_name().get(name)


def field_by_path(path: str) -> FieldSpec:
    """The field with this JSON path (``KeyError`` if none)."""
    return _by_path()[path]
