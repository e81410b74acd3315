"""AcroForm reading against the ways real viewers and tools save a form.

Each case takes a correctly filled form and rewrites its field objects with pypdf the way a
particular viewer or tool has been seen to (Preview's truncated ``/Fields`` and detached radio
widgets, values only on widgets, UTF-8 without a byte-order mark, incremental saves, …), then
checks that every value still comes out — and that what could not be trusted is reported.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import cast

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from klageformular import parse_pdf, render_form
from klageformular.model import Complaint

from .conftest import sample_data

Mutation = Callable[[PdfWriter], None]


@pytest.fixture(scope="module")
def filled() -> bytes:
    data = sample_data()
    data["complainant"]["role"] = "borrower"
    return render_form("da", prefill=data)


@pytest.fixture(scope="module")
def expected(filled: bytes) -> Complaint:
    complaint = parse_pdf(filled).complaint
    assert complaint is not None and complaint.complainant.role == "borrower"
    return complaint


def _fields(writer: PdfWriter) -> ArrayObject:
    return cast(ArrayObject, writer._root_object["/AcroForm"]["/Fields"])


def _field(writer: PdfWriter, name: str) -> DictionaryObject:
    for ref in _fields(writer):
        node = cast(DictionaryObject, ref.get_object())
        if node.get("/T") == name:
            return node
    raise KeyError(name)


def _rewrite(pdf: bytes, mutate: Mutation) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    mutate(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _codes(pdf: bytes) -> set[tuple[str, str | None]]:
    return {(w.code, w.path) for w in parse_pdf(pdf).warnings}


# --- structure ---------------------------------------------------------------------------------


def test_fields_missing_from_the_acroform_are_found_on_the_pages(filled: bytes, expected: Complaint) -> None:
    # macOS Preview has been reported to rewrite /Fields with a fraction of the fields.
    def truncate(writer: PdfWriter) -> None:
        fields = _fields(writer)
        del fields[5:]

    pdf = _rewrite(filled, truncate)
    assert len(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/Fields"]) == 5
    assert parse_pdf(pdf).complaint == expected


def test_no_acroform_dictionary_at_all_still_reads_the_widgets(filled: bytes, expected: Complaint) -> None:
    def drop(writer: PdfWriter) -> None:
        del writer._root_object["/AcroForm"]

    assert parse_pdf(_rewrite(filled, drop)).complaint == expected


def test_hierarchical_names_with_inherited_type(filled: bytes, expected: Complaint) -> None:
    # Some tools group fields under a parent ("form1.complainant_last_name") and keep /FT there.
    def nest(writer: PdfWriter) -> None:
        fields = _fields(writer)
        kids = ArrayObject()
        parent = DictionaryObject({NameObject("/T"): TextStringObject("form1"),
                                   NameObject("/FT"): NameObject("/Tx"), NameObject("/Kids"): kids})
        parent_ref = writer._add_object(parent)
        for ref in list(fields):
            node = ref.get_object()
            if node.get("/FT") == "/Tx":
                del node["/FT"]
                node[NameObject("/Parent")] = parent_ref
                kids.append(ref)
                fields.remove(ref)
        fields.append(parent_ref)

    pdf = _rewrite(filled, nest)
    names = set(PdfReader(io.BytesIO(pdf)).get_fields() or {})
    assert "form1.complainant_last_name" in names
    assert parse_pdf(pdf).complaint == expected


@pytest.mark.parametrize("value_on", ["widget", "parent"])
def test_a_field_split_into_parent_and_widget(filled: bytes, expected: Complaint, value_on: str) -> None:
    # A field split into a parent (name, type) and a widget kid; the value on either of them.
    def split(writer: PdfWriter) -> None:
        fields = _fields(writer)
        for i, ref in enumerate(list(fields)):
            widget = ref.get_object()
            if widget.get("/FT") != "/Tx":
                continue
            parent = DictionaryObject({NameObject("/T"): widget.pop("/T"), NameObject("/FT"): widget.pop("/FT"),
                                       NameObject("/Kids"): ArrayObject([ref])})
            if value_on == "parent" and "/V" in widget:
                parent[NameObject("/V")] = widget.pop("/V")
            parent_ref = writer._add_object(parent)
            widget[NameObject("/Parent")] = parent_ref
            fields[i] = parent_ref

    assert parse_pdf(_rewrite(filled, split)).complaint == expected


def test_an_extra_field_is_reported_not_fatal(filled: bytes, expected: Complaint) -> None:
    def add(writer: PdfWriter) -> None:
        extra = DictionaryObject({NameObject("/T"): TextStringObject("newsletter_optin"),
                                  NameObject("/FT"): NameObject("/Tx"), NameObject("/V"): TextStringObject("ja")})
        _fields(writer).append(writer._add_object(extra))

    pdf = _rewrite(filled, add)
    result = parse_pdf(pdf)
    assert result.complaint == expected
    assert any(w.code == "unknown_field" and "newsletter_optin" in w.message for w in result.warnings)


# --- radio groups and check boxes ------------------------------------------------------------


def test_radio_without_v_takes_the_marked_button(filled: bytes) -> None:
    def drop(writer: PdfWriter) -> None:
        del _field(writer, "complainant_role")["/V"]

    result = parse_pdf(_rewrite(filled, drop))
    assert result.complaint is not None and result.complaint.complainant.role == "borrower"


def test_radio_with_a_stale_v_takes_the_marked_button_and_says_so(filled: bytes) -> None:
    def stale(writer: PdfWriter) -> None:
        _field(writer, "complainant_role")[NameObject("/V")] = NameObject("/investor")

    pdf = _rewrite(filled, stale)
    result = parse_pdf(pdf)
    assert result.complaint is not None and result.complaint.complainant.role == "borrower"
    assert ("stale_radio", "complainant.role") in _codes(pdf)


def test_a_chosen_radio_widget_detached_from_its_group(filled: bytes) -> None:
    # Another reported Preview quirk: the marked button loses its /Parent and leaves /Kids.
    def detach(writer: PdfWriter) -> None:
        group = _field(writer, "complainant_role")
        del group["/V"]
        kids = cast(ArrayObject, group["/Kids"])
        chosen = next(k for k in kids if k.get_object().get("/AS") == "/borrower")
        kids.remove(chosen)
        del chosen.get_object()["/Parent"]

    result = parse_pdf(_rewrite(filled, detach))
    assert result.complaint is not None and result.complaint.complainant.role == "borrower"


@pytest.mark.parametrize("v", ["/borrower", "borrower"])
def test_radio_value_as_name_or_as_text(filled: bytes, v: str) -> None:
    def write(writer: PdfWriter) -> None:
        group = _field(writer, "complainant_role")
        group[NameObject("/V")] = NameObject(v) if v.startswith("/") else TextStringObject(v)

    result = parse_pdf(_rewrite(filled, write))
    assert result.complaint is not None and result.complaint.complainant.role == "borrower"


def _checkbox_states(on: str, v: str | None, as_: str) -> Mutation:
    def write(writer: PdfWriter) -> None:
        box = _field(writer, "documentation_contractual_documents")
        normal = box["/AP"]["/N"]
        for key in [k for k in normal if k != "/Off"]:
            normal[NameObject(f"/{on}")] = normal.pop(key)
        if v is None:
            box.pop("/V", None)
        else:
            box[NameObject("/V")] = NameObject(f"/{v}")
        box[NameObject("/AS")] = NameObject(f"/{as_}")

    return write


@pytest.mark.parametrize(("on", "v", "as_", "ticked"), [
    ("Yes", "Yes", "Yes", True),
    ("On", "On", "On", True),
    ("1", "1", "1", True),
    ("Ja", None, "Ja", True),     # /V missing: the appearance state says it
    ("On", "On", "Off", True),    # /AS not updated by the tool: /V says it
    ("Yes", "Off", "Off", False),
    ("Yes", None, "Off", False),
])
def test_checkbox_states_with_any_export_value(filled: bytes, on: str, v: str | None, as_: str,
                                               ticked: bool) -> None:
    result = parse_pdf(_rewrite(filled, _checkbox_states(on, v, as_)))
    assert result.raw["documentation.contractual_documents"] is ticked


# --- text encodings and line endings ---------------------------------------------------------


@pytest.mark.parametrize(("raw", "text"), [
    (b"\xfe\xff" + "Łódź Ærø €".encode("utf-16-be"), "Łódź Ærø €"),                  # UTF-16BE with BOM
    ("Ærøskøbing Åse".encode("latin-1"), "Ærøskøbing Åse"),                           # PDFDocEncoding
    ("Ærøskøbing – Łódź".encode(), "Ærøskøbing – Łódź"),                               # raw UTF-8, no BOM
    ("Søren".encode(), "Søren"),                                                        # one UTF-8 letter
])
def test_value_encodings(filled: bytes, raw: bytes, text: str) -> None:
    def write(writer: PdfWriter) -> None:
        _field(writer, "complainant_city")[NameObject("/V")] = ByteStringObject(raw)

    pdf = _rewrite(filled, write)
    assert f"<{raw.hex()}>".encode() in pdf.lower()  # the bytes as the tool wrote them, not re-encoded
    assert parse_pdf(pdf).raw["complainant.city"] == text


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_endings_become_newlines(filled: bytes, newline: str) -> None:
    def write(writer: PdfWriter) -> None:
        _field(writer, "subject")[NameObject("/V")] = TextStringObject(f"Første linje{newline}Anden linje")

    result = parse_pdf(_rewrite(filled, write))
    assert result.raw["subject"] == "Første linje\nAnden linje"
    assert result.complaint is not None and result.complaint.subject == "Første linje\nAnden linje"


# --- saving -------------------------------------------------------------------------------------


def test_incremental_update_last_revision_wins(filled: bytes) -> None:
    # Adobe Reader saves by appending a revision: the old value stays in the file.
    writer = PdfWriter(io.BytesIO(filled), incremental=True)
    _field(writer, "complainant_last_name")[NameObject("/V")] = TextStringObject("Ny Søndergaard")
    out = io.BytesIO()
    writer.write(out)
    pdf = out.getvalue()
    assert pdf.startswith(filled) and len(pdf) > len(filled)
    assert parse_pdf(pdf).raw["complainant.last_name"] == "Ny Søndergaard"


def test_appearance_only_fields_are_read_from_what_they_show(filled: bytes, expected: Complaint) -> None:
    # A tool that writes the look of a value but no /V at all.
    def strip(writer: PdfWriter) -> None:
        for ref in _fields(writer):
            node = ref.get_object()
            if node.get("/FT") == "/Tx":
                node.pop("/V", None)

    pdf = _rewrite(filled, strip)
    result = parse_pdf(pdf)
    assert result.raw["complainant.last_name"] == expected.complainant.last_name
    assert result.raw["investment.project"] == "Café „Blåbær“ ApS"
    assert ("value_from_appearance", "complainant.last_name") in _codes(pdf)


def test_value_longer_than_maxlen_is_kept_whole_and_warned(filled: bytes) -> None:
    long_city = "Å" * 300

    def write(writer: PdfWriter) -> None:
        field = _field(writer, "complainant_city")
        field[NameObject("/V")] = TextStringObject(long_city)
        field[NameObject("/MaxLen")] = NumberObject(120)

    pdf = _rewrite(filled, write)
    result = parse_pdf(pdf)
    assert result.raw["complainant.city"] == long_city
    assert ("too_long", "complainant.city") in _codes(pdf)


def test_a_text_field_saved_as_another_type_still_gives_its_text(filled: bytes) -> None:
    # A tool that rewrote /FT (choice list) keeps the value; we read by name, not by type.
    def retype(writer: PdfWriter) -> None:
        _field(writer, "complainant_city")[NameObject("/FT")] = NameObject("/Ch")

    assert parse_pdf(_rewrite(filled, retype)).raw["complainant.city"] == "Aarhus C"


def test_a_field_tree_loop_is_not_followed_forever(filled: bytes, expected: Complaint) -> None:
    def loop(writer: PdfWriter) -> None:
        fields = _fields(writer)
        first = fields[0].get_object()
        child = DictionaryObject({NameObject("/T"): TextStringObject("loop"),
                                  NameObject("/Kids"): ArrayObject([fields[0]])})
        first.setdefault(NameObject("/Kids"), ArrayObject()).append(writer._add_object(child))

    result = parse_pdf(_rewrite(filled, loop))
    assert result.raw["subject"] == expected.subject



def test_a_field_that_shows_other_text_than_it_stores_is_flagged(blank_form: bytes) -> None:
    """pikepdf stores "Łukasz" but draws "?ukasz": the officer learns the customer saw something else."""
    from klageformular.values import FieldValue

    from .fillers import ALL_FILLERS

    values: dict[str, FieldValue] = {"complainant.first_name": "Łukasz", "complainant.city": "Aarhus C",
                                     "complainant.last_name": "Żółć", "subject": "Renter"}
    result = parse_pdf(ALL_FILLERS["pikepdf"](blank_form, values))
    assert result.raw["complainant.first_name"] == "Łukasz"  # the stored value is used
    mismatched = {w.path for w in result.warnings if w.code == "appearance_mismatch"}
    assert mismatched == {"complainant.first_name", "complainant.last_name"}


def test_appearances_that_match_raise_no_flag(blank_form: bytes, sample_complaint: Complaint) -> None:
    from klageformular.values import field_values

    from .fillers import fill_pypdf

    result = parse_pdf(fill_pypdf(blank_form, field_values(sample_complaint, "da")))
    assert not [w for w in result.warnings if w.code == "appearance_mismatch"]
