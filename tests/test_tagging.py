"""The tagged form (issue 30), read by real consumers of tags: pdf.js, poppler, a PDF/UA checker, filling tools.

Every language × profile is checked: the structure tree's reading order and headings, one ``Form``
element per widget named by its ``/TU``, no page content outside marked content, the PDF/UA
identification; and the tags survive a viewer filling the form.
"""

from __future__ import annotations

import http.server
import io
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, IndirectObject, NameObject

from klageformular import render_form
from klageformular._tagging import artifact
from klageformular.layout import LAYOUT, Kind
from klageformular.locales import Texts, available_languages
from klageformular.org import organisation_keys
from klageformular.values import field_values

from .conftest import require_tool, run_tool, sample_data
from .fillers import ALL_FILLERS, TOOL_OF
from .tagged import pdfjs_structure, unembedded_fonts, unmarked_painting, walk

FORMS = [(lang, org) for org in organisation_keys() for lang in available_languages()]
@cache
def _form(lang: str, org: str) -> bytes:
    return render_form(lang, org=org)


@pytest.mark.parametrize(("lang", "org"), FORMS)
def test_catalog_declares_a_tagged_pdf_ua_document(lang: str, org: str) -> None:
    reader = PdfReader(io.BytesIO(_form(lang, org)))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert root["/Lang"] == lang
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert root["/StructTreeRoot"]["/K"]["/S"] == "/Document"
    xmp = root["/Metadata"].get_data().decode()
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    title = re.search(r"<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">(.*?)</rdf:li>", xmp)
    assert title and reader.metadata is not None and title.group(1) == reader.metadata.title
    for page in reader.pages:
        if "/Annots" in page:
            assert page["/Tabs"] == "/S"


@pytest.mark.parametrize(("lang", "org"), FORMS)
def test_no_page_content_outside_marked_content(lang: str, org: str) -> None:
    assert unmarked_painting(_form(lang, org)) == []


def test_the_content_check_finds_unmarked_content() -> None:
    """The check above can fail: a rule drawn without artifact() is found."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf)
    with artifact(c):
        c.line(0, 0, 10, 10)
    c.line(0, 10, 10, 0)
    c.save()
    assert unmarked_painting(buf.getvalue()) == [(1, "S")]


@pytest.mark.parametrize(("lang", "org"), FORMS)
def test_every_widget_sits_in_its_own_form_element(lang: str, org: str) -> None:
    reader = PdfReader(io.BytesIO(_form(lang, org)))
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    nums = tree["/ParentTree"]["/Nums"]
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    widgets = 0
    for page in reader.pages:
        for ref in page.get("/Annots", []):
            widget = ref.get_object()
            element = parents[int(widget["/StructParent"])].get_object()
            assert element["/S"] == "/Form"
            objr = element["/K"]
            assert objr["/Type"] == "/OBJR" and objr.raw_get("/Obj") == ref
            widgets += 1
    assert widgets == sum(len(f.options) or 1 for f in LAYOUT.fields)
    assert int(tree["/ParentTreeNextKey"]) == len(reader.pages) + widgets


def _expected_headings(texts: Texts) -> list[tuple[str, str]]:
    roles = {"heading": "H2", "subheading": "H3"}
    out = [("H1", texts.text("title"))]
    out += [(roles[b.kind], texts.text(b.key)) for b in LAYOUT.blocks if b.kind in roles]
    out.append(("H2", texts.text("info.title")))
    out += [("H3", texts.text(f"info.{k}.h"))
            for k in ("free", "how", "ack", "process", "decision", "escalation", "authorities", "contact")]
    return out


@pytest.mark.parametrize(("lang", "org"), FORMS)
def test_pdfjs_reads_headings_fields_and_no_untagged_text(lang: str, org: str, tmp_path: Path) -> None:
    """Firefox's engine: headings in order with their text, one Form per widget named by its /TU, in
    the layout's (reading and tab) order; no text outside tagged content or artifacts."""
    texts = Texts.of(lang, org)
    pages = pdfjs_structure(_form(lang, org), tmp_path)
    headings: list[tuple[str, str]] = []
    forms: list[dict[str, Any]] = []
    for page in pages:
        assert page["untagged"] == []
        annots = {a["id"]: a for a in page["annotations"]}
        for node in walk(page["tree"]):
            role = node.get("role", "")
            if re.fullmatch(r"H\d", role):
                headings.append((role, "".join(page["text"][k["id"]] for k in node["children"])))
            if role == "Form":
                (kid,) = node["children"]
                assert kid["type"] == "annotation"
                forms.append(annots[kid["id"].removeprefix("pdfjs_internal_id_")])
    assert headings == _expected_headings(texts)
    expected: list[tuple[str, str | None, str | None]] = []
    for spec in LAYOUT.fields:
        label = texts.label(spec.path).rstrip(" *")
        if spec.kind is Kind.RADIO:
            expected += [(spec.name, o.export, f"{label}: {texts.option(spec.path, o.value)}") for o in spec.options]
        else:
            expected.append((spec.name, None, None))
    got = [(f["fieldName"], f["buttonValue"] if f["radioButton"] else None) for f in forms]
    assert got == [e[:2] for e in expected]
    for form, (_, _, name) in zip(forms, expected, strict=True):
        assert form["alternativeText"].strip()
        if name:
            assert form["alternativeText"] == name


def test_poppler_shows_the_same_tree(tmp_path: Path) -> None:
    path = tmp_path / "form.pdf"
    path.write_bytes(_form("sv", "kameo-se"))
    out = run_tool("pdfinfo", "-struct-text", path).stdout.decode()
    texts = Texts.of("sv", "kameo-se")
    assert out.startswith("Document\n  H1 (block)\n    \"" + texts.text("title") + "\"")
    assert out.count("\n  Form\n") == sum(len(f.options) or 1 for f in LAYOUT.fields)
    assert f'"{texts.text("info.title")}"' in out


@pytest.mark.parametrize(("lang", "org"), FORMS)
def test_pdf_ua_checker_finds_nothing(lang: str, org: str, tmp_path: Path) -> None:
    """The machine-checkable PDF/UA-1 rules the ``pdfua`` package implements: no findings, none skipped."""
    path = tmp_path / "form.pdf"
    path.write_bytes(_form(lang, org))
    report = _pdfua().validate(str(path))
    assert [f"{f.rule_id}: {f.message}" for f in report.findings] == []
    assert [(o.rule_id, o.skipped_reason) for o in report.skipped] == []


@pytest.mark.parametrize(("lang", "org"), FORMS)
def test_every_font_is_embedded(lang: str, org: str) -> None:
    """PDF/UA-1 7.21.4.1, which ``pdfua`` does not check: the printed text, the field values' font in
    the appearances and /DR, and the check marks' font all carry their font program."""
    assert unembedded_fonts(_form(lang, org)) == []
    dr = PdfReader(io.BytesIO(_form(lang, org))).trailer["/Root"]["/AcroForm"]["/DR"]["/Font"]
    assert sorted(dr) == ["/Wingdings", "/ZaDb"]  # the names the fields' /DA use, both embedded fonts


def test_a_prefilled_form_embeds_every_font_too() -> None:
    assert unembedded_fonts(render_form("da", prefill=sample_data())) == []


def test_the_font_check_finds_a_standard_font_anywhere() -> None:
    """Not blind: a standard Helvetica named only in /DR, or in a page's resources, is found."""
    writer = PdfWriter(clone_from=io.BytesIO(_form("da", "kameo-dk")))
    helvetica = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    writer.root_object["/AcroForm"]["/DR"]["/Font"][NameObject("/Helv")] = helvetica
    out = io.BytesIO()
    writer.write(out)
    assert unembedded_fonts(out.getvalue()) == ["/Helvetica"]
    blank = PdfWriter()
    blank.add_blank_page(100, 100)
    empty = io.BytesIO()
    blank.write(empty)
    assert unembedded_fonts(empty.getvalue()) == ["(no fonts)"]


def _pdfua() -> Any:
    return pytest.importorskip("pdfua", reason="pdfua is not installed (pip install -e '.[test]')")


def test_pdf_ua_checker_catches_untagged_content(tmp_path: Path) -> None:
    """The checker is not blind to our files: the same form with its marked content stripped fails."""
    writer = PdfWriter(clone_from=io.BytesIO(_form("da", "kameo-dk")))
    page = writer.pages[0]
    stream = ContentStream(page.get_contents(), writer)
    stream.operations = [(o, op) for o, op in stream.operations if op not in (b"BDC", b"BMC", b"EMC")]
    page.replace_contents(stream)
    path = tmp_path / "stripped.pdf"
    writer.write(path)
    report = _pdfua().validate(str(path))
    assert "UA-01-003" in {f.rule_id for f in report.findings}


@pytest.mark.parametrize("filler", list(ALL_FILLERS))
def test_a_filled_form_keeps_its_tags(filler: str, tmp_path: Path) -> None:
    """Each filling program keeps the structure tree, every widget's place in it and the marked content."""
    if filler in TOOL_OF:
        require_tool(TOOL_OF[filler])
    from klageformular import Complaint

    values = field_values(Complaint.model_validate(sample_data()), "da")
    filled = ALL_FILLERS[filler](_form("da", "kameo-dk"), values)
    assert unmarked_painting(filled) == []
    reader = PdfReader(io.BytesIO(filled))
    nums = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for page in reader.pages:
        for ref in page.get("/Annots", []):
            widget = ref.get_object()
            if widget.get("/Subtype") != "/Widget":
                continue
            objr = parents[int(widget["/StructParent"])].get_object()["/K"]
            assert isinstance(objr.raw_get("/Obj"), IndirectObject)
            assert objr["/Obj"] == widget
    forms = [n for p in pdfjs_structure(filled, tmp_path) for n in walk(p["tree"]) if n.get("role") == "Form"]
    assert len(forms) == sum(len(f.options) or 1 for f in LAYOUT.fields)
    assert reader.trailer["/Root"]["/MarkInfo"][NameObject("/Marked")]


# --- Chromium's PDF viewer -------------------------------------------------------------------------
# Measured on Chromium 156: DevTools' Accessibility.getFullAXTree, asked in every frame and target
# (the viewer's extension page and its plugin frame), stops at the plugin's <embed>: the PDF's own
# nodes live in a child tree the protocol does not enter. chrome://accessibility shows the whole
# tree of a tab, child trees included, so the test reads the PDF's nodes there. The viewer follows
# the structure tree only with its "PdfTags" feature; without it, it guesses headings from font
# sizes. It exposes no form fields (no text field, check box or radio button nodes) at all.
_AX_LINE = re.compile(r"^(\+*)id#=(-\d+) (\w+)(.*)$")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _chromium_pdf_tree(data: bytes, title: str, tmp_path: Path) -> list[tuple[int, str, str, str]]:
    """(depth, role, name, language) of the PDF's accessibility nodes in Chromium's viewer, whose tab
    shows ``title`` (the document title: /DisplayDocTitle)."""
    import functools
    import shutil
    import threading
    import time

    selenium = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "form.pdf").write_bytes(data)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = selenium.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--force-renderer-accessibility", "--enable-features=PdfTags",
                     f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(argument)
    chrome = selenium.Chrome(service=Service(executable_path=driver), options=options)
    try:
        chrome.get(f"http://127.0.0.1:{server.server_address[1]}/form.pdf")
        pdf_tab = chrome.current_window_handle
        chrome.switch_to.new_window("tab")
        tree_tab = chrome.current_window_handle
        deadline = time.monotonic() + 90
        nodes: list[tuple[int, str, str, str]] = []
        # The viewer shows the document's title in its tab, then builds its tree: ask until the
        # tree has every page (chrome://accessibility redraws itself, so elements go stale).
        while sum(1 for n in nodes if n[1] == "region") < LAYOUT.page_count and time.monotonic() < deadline:
            # A background tab's viewer does not lay its pages out: show it, then look from the other tab.
            chrome.switch_to.window(pdf_tab)
            time.sleep(3)
            chrome.switch_to.window(tree_tab)
            chrome.get("chrome://accessibility/")
            try:
                found = chrome.find_elements(By.XPATH,
                                             f"//h3[starts-with(@id, 'page_') and normalize-space()='{title}']")
                if not found:
                    continue
                row_id = str(found[0].get_attribute("id")).removesuffix("-title")
                show = f"//*[@id='{row_id}']//button[normalize-space()='Show accessibility tree']"
                chrome.find_element(By.XPATH, show).click()
                time.sleep(2)
                text = chrome.find_element(By.ID, row_id).text
            except StaleElementReferenceException:
                continue
            nodes = []
            for line in text.splitlines():
                if m := _AX_LINE.match(line):
                    name = re.search(r" name='([^']*)'", m.group(4))
                    lang = re.search(r" language='([^']*)'", m.group(4))
                    nodes.append((len(m.group(1)) // 2, m.group(3), name.group(1) if name else "",
                                  lang.group(1) if lang else ""))
        return nodes
    finally:
        chrome.quit()
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_chromium_reads_the_tagged_headings_and_language(tmp_path: Path) -> None:
    texts = Texts.of("da", "kameo-dk")
    nodes = _chromium_pdf_tree(_form("da", "kameo-dk"), f"{texts.text('title')} – {texts.org.name}", tmp_path)
    assert [n[1] for n in nodes].count("pdfRoot") == 1
    assert [n[2] for n in nodes if n[1] == "region"] == [f"Page {p}" for p in range(1, LAYOUT.page_count + 1)]
    headings = []
    for i, (depth, role, _, _) in enumerate(nodes):
        if role == "heading":
            text = next(n[2] for n in nodes[i + 1:] if n[1] == "staticText" and n[0] > depth)
            headings.append(text.replace("<newline>", "").strip())
    # Pages 1 and 2 and the information page's title as tagged; Chromium 156 folds the last two
    # headings of page 3 (after its lists) into the text around them.
    expected = [h for _, h in _expected_headings(texts)]
    assert headings == expected[:len(headings)] and len(headings) >= len(expected) - 2, headings
    assert {n[3] for n in nodes if n[1] == "staticText"} == {"da"}
    assert [n[1] for n in nodes].count("list") == 2  # the complaint bodies and the authorities
    # Fields, if a later Chromium shows them, must carry the /TU names.
    tips = {t for f in LAYOUT.fields for t in (texts.tooltip(f.path), texts.label(f.path).rstrip(" *"))}
    for _, role, name, _ in nodes:
        if role in ("textField", "checkBox", "radioButton"):
            assert any(t in name for t in tips), name
