"""Committed PDFs made by real tools (scripts/make_fixtures.py): parsed on any machine, tools or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from klageformular import (
    Complaint,
    EncryptedPdfError,
    NotAKlageformularError,
    NoTextLayerError,
    PdfReadError,
    UnreadableTextError,
    parse_pdf,
)
from klageformular.values import field_values

from .conftest import sample_data
from .test_text_layer import assert_values_match

FIXTURES = Path(__file__).parent / "fixtures"
MANIFEST = json.loads((FIXTURES / "MANIFEST.json").read_text(encoding="utf-8"))

READABLE = {
    "filled-pypdf.pdf": "acroform", "filled-pdftk.pdf": "acroform", "encrypted-empty-password.pdf": "acroform",
    "flat-pdftk.pdf": "text", "flat-qpdf.pdf": "text", "flat-gs.pdf": "text", "flat-pdftocairo.pdf": "text",
    "flat-gs-letter.pdf": "text", "filled-pdftk-nb.pdf": "acroform", "flat-gs-sv.pdf": "text",
    "flat-ps.pdf": "text", "flat-mutool.pdf": "text",
}
LANGUAGE = {"filled-pdftk-nb.pdf": "nb", "flat-gs-sv.pdf": "sv"}  # the rest are Danish
UNREADABLE: dict[str, type[PdfReadError] | type[NotAKlageformularError]] = {
    "scan.pdf": NoTextLayerError, "encrypted-password.pdf": EncryptedPdfError, "letter.pdf": NotAKlageformularError,
    # An earlier form's composite value font, printed through PostScript: "Łukasz" reads "(cid:0)VLBT[".
    "printed-ps-type0-font.pdf": UnreadableTextError,
}
# Readable, with values the copy cannot tell: the sample, plus these fields drawn in non-embedded
# fonts whose codes only the missing font program explains (scripts/make_fixtures.py: OWN_ENCODING).
WARNED = {"unembedded-own-encoding.pdf": ("representative.first_name", "representative.city")}


def test_manifest_lists_every_fixture_and_its_hash() -> None:
    import hashlib

    on_disk = {p.name for p in FIXTURES.glob("*.pdf")}
    assert on_disk == set(MANIFEST["files"]) == set(READABLE) | set(UNREADABLE) | set(WARNED)
    for name, entry in MANIFEST["files"].items():
        assert hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest() == entry["sha256"], name


@pytest.mark.parametrize(("name", "method"), sorted(READABLE.items()))
def test_tool_made_copies_parse_to_the_sample(name: str, method: str) -> None:
    result = parse_pdf(FIXTURES / name)
    lang = LANGUAGE.get(name, "da")
    expected = Complaint.model_validate(sample_data())
    assert result.method == method and result.language == lang and not result.review
    if method == "acroform":
        assert result.complaint == expected  # exact: every character as typed
    else:
        assert_values_match(field_values(expected, lang), result.raw, line_breaks=False)


@pytest.mark.parametrize(("name", "error"), sorted(UNREADABLE.items(), key=lambda kv: kv[0]))
def test_unreadable_fixtures_give_their_own_error(name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_pdf(FIXTURES / name)


def test_a_copy_without_a_unicode_map_names_the_tool_that_made_it() -> None:
    with pytest.raises(UnreadableTextError, match=r"none of the 30 filled value\(s\) can be read: .*Ghostscript"):
        parse_pdf(FIXTURES / "printed-ps-type0-font.pdf")


@pytest.mark.parametrize(("name", "paths"), sorted(WARNED.items()))
def test_glyphs_only_a_missing_font_explains_are_unreadable_not_guessed(name: str, paths: tuple[str, ...]) -> None:
    """A text layer reads "Hansen" and "Aarhus" there, while the page shows nothing and Greek letters."""
    result = parse_pdf(FIXTURES / name)
    assert result.method == "text"
    assert_values_match(field_values(Complaint.model_validate(sample_data()), "da"),
                        {p: v for p, v in result.raw.items() if p not in paths}, line_breaks=False)
    for path in paths:
        assert result.raw[path] == "\ufffd" * 6
        assert [w.message.split(" character")[0] for w in result.warnings if w.path == path] == ["6 of 6"]
    assert {(item.path, item.code) for item in result.review} == {(path, "unreadable_text") for path in paths}
