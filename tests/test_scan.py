"""The paper path: scans of the real form, filled by "hand", printed and scanned by real tools.

The corpus is made at test time (tests/make_scan_corpus.py: ghostscript prints, OpenCV turns
and damages, img2pdf wraps); the truth is what was drawn. The quick tests read a few cases;
the whole corpus (every resolution, turn, bitonal, a phone photo) is ``slow``.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("zxingcpp", reason="the optional [scan] extra (zxing-cpp) is not installed")
pytest.importorskip("cv2", reason="the optional [scan] extra (opencv-python-headless) is not installed")
pytest.importorskip("img2pdf", reason="img2pdf (the test extra) is not installed")

import cv2  # only after the skips above
import img2pdf
import numpy as np
import segno
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject

from klageformular import (
    ImageReadError,
    ImageTooLargeError,
    Limits,
    ParseResult,
    ScanUnreadableError,
    TooManyPagesError,
    UnsupportedFormVersionError,
    parse_image,
    parse_pdf,
    render_form,
)
from klageformular.layout import LAYOUT, Kind

from . import make_scan_corpus as corpus
from .conftest import require_tool
from .scan_truth import Score, score, truth_of

QUICK = ("gray-200-upright", "gray-200-reordered", "image-png-page1")


def _read(path: Path) -> ParseResult:
    return parse_pdf(path) if path.suffix == ".pdf" else parse_image(path)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Makes corpus cases by name, once per module."""
    require_tool("gs")
    if not corpus.HAND_FONT.exists():
        pytest.skip("the handwriting font (Debian's fonts-humor-sans) is not installed")
    folder = tmp_path_factory.mktemp("scans")
    by_name = {c.name: c for c in corpus.cases(full=False)}
    done: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in done:
            done[name] = corpus.make_case(by_name[name], folder)
        return done[name]

    return make


def _page_image(made: Callable[[str], Path], name: str = "image-png-page1") -> np.ndarray:
    image = cv2.imread(str(made(name)), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return bytes(data.tobytes())


def _assert_perfect(result: ParseResult, path: Path) -> Score:
    got = score(result, path)
    assert got.pages_identified == got.pages
    assert got.wrong_without_review == []
    assert got.boxes_exact == got.boxes
    assert got.written_cropped == got.written and got.crops_extra == []
    assert max(got.alignment_mm) <= 1.0
    return got


@pytest.mark.parametrize("name", QUICK)
def test_a_scan_is_read_as_the_truth_says(made: Callable[[str], Path], name: str) -> None:
    path = made(name)
    result = _read(path)
    assert (result.method, result.status, result.language, result.organisation) == ("scan", "needs_review", "da",
                                                                                     "kameo-dk")
    _assert_perfect(result, path)
    truth = truth_of(path)["truth"]
    # Every written box is a "key this value" item with its crop; no value is guessed.
    handwritten = {r.path for r in result.review if r.code == "handwritten"}
    read_pages = {p.page for p in result.scan.pages if p.problem is None} if result.scan else set()
    expected = {s.path for s in LAYOUT.fields if s.path in truth["written"] and s.page in read_pages}
    assert handwritten == expected
    assert all(result.raw[p] is None for p in handwritten)
    if 2 in read_pages:
        assert result.scan is not None and result.scan.signature is truth["signed"]
    crops = {c.path: c.png for c in result.scan.crops} if result.scan else {}
    for field_path in expected:
        crop = cv2.imdecode(np.frombuffer(crops[field_path], np.uint8), cv2.IMREAD_GRAYSCALE)
        spec = next(s for s in LAYOUT.fields if s.path == field_path)
        # The box plus 5 pt each side, at 200 dpi.
        assert abs(crop.shape[1] - (spec.rect.width + 10) * 200 / 72) <= 2


def test_ticks_become_values(made: Callable[[str], Path]) -> None:
    path = made("gray-200-upright")
    result = _read(path)
    truth = truth_of(path)["truth"]["ticks"]
    for spec in LAYOUT.fields:
        if spec.kind is Kind.CHECKBOX and truth[spec.path] != "scribbled":
            assert result.raw[spec.path] is (truth[spec.path] != "empty"), spec.path
        if spec.kind is Kind.RADIO:
            marks = {o.value: truth[f"{spec.path}#{o.export}"] for o in spec.options}
            if "scribbled" in marks.values():
                assert any(r.path == spec.path and r.code == "scribbled_out" for r in result.review)
                continue
            chosen = [v for v, m in marks.items() if m != "empty"]
            assert result.raw[spec.path] == (chosen[0] if chosen else None), spec.path


def test_pages_out_of_order_are_put_in_order(made: Callable[[str], Path]) -> None:
    result = _read(made("gray-200-reordered"))
    assert result.scan is not None
    assert [p.page for p in result.scan.pages] == [2, 3, 1]
    assert "pages_reordered" in {w.code for w in result.warnings}


def test_a_missing_page_names_its_fields(made: Callable[[str], Path]) -> None:
    result = _read(made("image-png-page1"))
    missing = {r.path for r in result.review if r.code == "page_missing"}
    assert missing == {s.path for s in LAYOUT.fields if s.page == 2}


def test_two_forms_in_one_file_are_flagged(made: Callable[[str], Path]) -> None:
    page = _png(_page_image(made))
    result = parse_pdf(img2pdf.convert([page, page]))
    assert "two_forms" in {w.code for w in result.warnings}


def test_another_document_is_unreadable_with_the_reason() -> None:
    blank = np.full((2339, 1654), 255, np.uint8)
    cv2.putText(blank, "Dear Sir or Madam", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 5)
    with pytest.raises(ScanUnreadableError, match=r"1 of 1 page\(s\) have no text layer \(a scan\?\) and no") as info:
        parse_image(_png(blank))
    assert info.value.reason == "no_page_code"


def test_someone_elses_qr_code_is_not_ours() -> None:
    page = np.full((2339, 1654), 255, np.uint8)
    modules = np.array(segno.make_qr("https://example.com/invoice/42").matrix, np.uint8)
    qr = cv2.resize((1 - modules) * 255, None, fx=12, fy=12, interpolation=cv2.INTER_NEAREST)
    page[200:200 + qr.shape[0], 200:200 + qr.shape[1]] = qr
    with pytest.raises(ScanUnreadableError, match="page code") as info:
        parse_pdf(img2pdf.convert([_png(page)]))
    assert info.value.reason == "foreign_code"


def test_marks_cut_off_make_the_page_unreadable_not_the_file(made: Callable[[str], Path]) -> None:
    image = _page_image(made)
    h, w = image.shape
    cut = image.copy()
    cut[: h // 10, : w // 6] = 255  # the top-left corner, mark and all, did not make it onto the scan
    result = parse_image(_png(cut))
    assert result.method == "scan"
    assert {r.code for r in result.review if LAYOUT.fields[0].path == r.path} == {"page_unreadable"}
    reasons = [w.message for w in result.warnings if w.code == "page_unreadable" and w.path is None]
    assert reasons and "corner marks" in reasons[0]


def test_a_page_beyond_the_angle_limit_says_so(made: Callable[[str], Path]) -> None:
    image = _page_image(made)
    h, w = image.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 14, 0.8)
    steep = cv2.warpAffine(image, turn, (w, h), borderValue=255)
    result = parse_image(_png(steep))
    reasons = [w.message for w in result.warnings if w.code == "page_unreadable" and w.path is None]
    assert reasons and "too steep an angle" in reasons[0]


def test_a_form_from_another_layout_is_refused(made: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from klageformular import _pagecode

    path = made("image-png-page1")
    monkeypatch.setattr(_pagecode, "layout_hash", lambda: "0BADC0DE")
    with pytest.raises(UnsupportedFormVersionError, match="layout"):
        parse_image(path)


def test_without_the_extra_a_scan_says_what_to_install(made: Callable[[str], Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from klageformular import scan

    monkeypatch.setattr(scan, "available", lambda: False)
    with pytest.raises(ScanUnreadableError, match=r"klageformular\[scan\]") as info:
        parse_pdf(made("gray-200-upright"))
    assert info.value.reason == "no_scan_reader"


def test_a_flattened_form_with_its_text_layer_is_not_a_scan() -> None:
    # The page code is vector art: a printed-to-PDF copy still reads by its text.
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(render_form("da", prefill={"subject": "Renter", "complainant": {
        "last_name": "Jensen", "email": "a@b.dk"}})))
    assert reader.pages[0].extract_text()
    assert parse_pdf(render_form("da")).method == "acroform"


# -- hostile images ------------------------------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("width", "height"), [(60_000, 60_000), (9_000, 9_000), (200_000, 300)])
def test_huge_image_dimensions_are_refused_before_decoding(width: int, height: int) -> None:
    with pytest.raises(ImageTooLargeError, match="pixels") as info:
        parse_image(_png_header_only(width, height))
    assert info.value.limit == "max_scan_pixels"


def test_a_truncated_jpeg_is_a_clear_error(made: Callable[[str], Path]) -> None:
    data = made("image-jpeg-page2").read_bytes()
    with pytest.raises(ImageReadError, match="cannot be decoded"):
        parse_image(data[: len(data) // 2])


def test_not_an_image_at_all() -> None:
    from klageformular import NotAPdfError

    with pytest.raises(NotAPdfError, match="PNG, JPEG or TIFF"):
        parse_image(b"GIF89a....")


def test_a_many_page_pdf_of_tiny_images_hits_the_page_limit() -> None:
    tiny = _png(np.full((4, 4), 255, np.uint8))
    with pytest.raises(TooManyPagesError, match="the limit is 50"):
        parse_pdf(img2pdf.convert([tiny] * 60))


def test_a_many_frame_tiff_hits_the_page_limit() -> None:
    from PIL import Image

    frames = [Image.new("L", (4, 4), 255) for _ in range(60)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(TooManyPagesError, match="60 pages"):
        parse_image(buf.getvalue())


def test_a_pdf_page_drawing_a_huge_image_is_refused_before_rendering() -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    image = DecodedStreamObject()
    image.set_data(b"\xff" * 16)
    image.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
                  NameObject("/Width"): NumberObject(50_000), NameObject("/Height"): NumberObject(50_000),
                  NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                  NameObject("/BitsPerComponent"): NumberObject(8)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): DictionaryObject(
        {NameObject("/Im0"): writer._add_object(image)})})
    content = DecodedStreamObject()
    content.set_data(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ImageTooLargeError, match="50,000 x 50,000"):
        parse_pdf(out.getvalue(), limits=Limits())


# -- the whole corpus ----------------------------------------------------------------------------


def _made_full(tmp_path: Path, name: str) -> Path:
    require_tool("gs")
    if not corpus.HAND_FONT.exists():
        pytest.skip("the handwriting font (Debian's fonts-humor-sans) is not installed")
    return corpus.make_case(next(c for c in corpus.cases(full=True) if c.name == name), tmp_path)


def test_a_coarse_bitonal_scan_is_named_by_its_marks(tmp_path: Path) -> None:
    # 150 dpi, blurred, then thresholded to black and white: the code's light modules are closed
    # up and no decoder finds it; the marks still place it, module by module.
    path = _made_full(tmp_path, "extra-22-150")
    result = parse_pdf(path)
    assert result.scan is not None
    assert [p.problem for p in result.scan.pages] == [None, None, None]
    got = _assert_perfect(result, path)
    assert got.pages == 3


def test_a_photo_whose_corners_lie_far_from_the_codes_guess_takes_the_outer_marks(tmp_path: Path) -> None:
    # A 150 dpi phone photo upside down: the code's guess of a far corner lands nearer filled
    # check boxes than the mark; page 2 was unreadable (15 mm off) and page 3 read 3.8 pt off.
    path = _made_full(tmp_path, "extra-36-150")
    result = parse_pdf(path)
    assert result.scan is not None
    assert [p.problem for p in result.scan.pages] == [None, None, None]
    assert max(p.residual_pt for p in result.scan.pages) < 1.0
    _assert_perfect(result, path)


def test_a_sampled_code_is_taken_only_when_it_is_clearly_one_of_ours() -> None:
    from klageformular._pagecode import payload
    from klageformular.scan._geometry import _known_symbols, _nearest_code

    symbols = _known_symbols()
    text = payload("da", "kameo-dk", 2)
    rng = np.random.default_rng(3)
    damaged = symbols[text].copy()
    flat = damaged.reshape(-1)
    flat[rng.choice(flat.size, 40, replace=False)] ^= True  # 40 modules of 625 read wrong
    code = _nearest_code(damaged)
    assert code is not None and (code.lang, code.org, code.page) == ("da", "kameo-dk", 2)
    # Noise, and a symbol half way between two of our codes, name no page.
    assert _nearest_code(rng.random((25, 25)) < 0.5) is None
    other = symbols[payload("da", "kameo-dk", 3)]
    between = symbols[text].copy()
    differ = np.flatnonzero(between.reshape(-1) != other.reshape(-1))
    between.reshape(-1)[differ[: len(differ) // 2]] ^= True
    assert _nearest_code(between) is None


@pytest.mark.slow
def test_the_whole_corpus(made: Callable[[str], Path]) -> None:
    total = Score()
    for case in corpus.cases(full=False):
        path = made(case.name)
        got = score(_read(path), path)
        total.add(got)
    assert total.pages_identified == total.pages
    assert total.wrong_without_review == []
    assert total.boxes_exact / total.boxes >= 0.995
    assert total.written_cropped == total.written and total.crops_extra == []
    assert max(total.alignment_mm) <= 1.0


@pytest.mark.slow
def test_the_full_corpus_meets_the_acceptance(tmp_path: Path) -> None:
    # The acceptance of the paper path over the wider random corpus (benchmarks/scan.py --full):
    # every page named, at least 99.5 % of the boxes exact, none wrong without a review item.
    require_tool("gs")
    if not corpus.HAND_FONT.exists():
        pytest.skip("the handwriting font (Debian's fonts-humor-sans) is not installed")
    total = Score()
    for case in corpus.cases(full=True):
        path = corpus.make_case(case, tmp_path)
        total.add(score(_read(path), path))
    assert total.pages == 147
    assert total.pages_identified == total.pages
    assert total.wrong_without_review == []
    assert total.boxes_exact / total.boxes >= 0.995
    assert total.written_cropped == total.written and total.crops_extra == []
    assert max(total.alignment_mm) <= 1.0


# -- through batch and the register --------------------------------------------------------------


def test_batch_reads_scans_and_the_register_keys_them(made: Callable[[str], Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import shutil
    import stat

    from klageformular import convert_folder
    from klageformular.cli import main

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("gray-200-upright", "image-png-page1"):
        shutil.copy(made(name), inbox)
    out = tmp_path / "out"
    summary = convert_folder(inbox, out, workers=1)
    assert (summary.needs_review, summary.unreadable) == (2, 0)
    records = [json.loads(line) for line in (out / "complaints.jsonl").read_text().splitlines()]
    assert {r["method"] for r in records} == {"scan"}
    scanned = next(r for r in records if r["source"].endswith(".pdf"))
    truth = truth_of(made("gray-200-upright"))["truth"]
    crops = {a["name"]: a for a in scanned["attachments"]}
    assert set(crops) == {f"scan-{p}.png" for p in truth["written"]} | ({"scan-signature.png"} if truth["signed"]
                                                                        else set())
    for crop in crops.values():
        file = out / crop["path"]
        assert file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    db = f"sqlite:///{tmp_path / 'klager.db'}"
    assert main(["register", "import", str(out), "--db", db]) == 0
    capsys.readouterr()
    assert main(["register", "list", "--json", "--db", db]) == 0
    cases = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    wanted = {r["path"] for r in scanned["review"]}
    ref = next(c["reference"] for c in cases if {r["path"] for r in c["review"]} == wanted)
    assert main(["register", "open", ref, "--db", db]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in crops)
    field = next(p for p in truth["written"] if p.endswith(("city", "street", "project", "place")))
    assert main(["register", "key", ref, field, "Aarhus", "--db", db]) == 0
    assert "keyed from the scan" in capsys.readouterr().out
    assert main(["register", "show", ref, "--json", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert field not in {r["path"] for r in shown["review"]}
    assert any(c["path"] == field and "keyed from the scan" in c["note"] for c in shown["corrections"])
    # A field the scan did not crop is corrected, not keyed.
    assert main(["register", "key", ref, "complainant.role", "investor", "--db", db]) != 0
    assert "no handwritten value waiting" in capsys.readouterr().err


def test_a_scan_attached_to_a_mail_is_read_with_its_crops(made: Callable[[str], Path], tmp_path: Path) -> None:
    import json

    from klageformular import convert_folder

    from .mailforms import mail

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    scanned = made("gray-200-reordered").read_bytes()
    (inbox / "klage.eml").write_bytes(mail("kunde@example.dk", "klage@kameo.dk", "Klage", message_id="<s1@example.dk>",
                                           attachment=scanned, filename="scan.pdf"))
    out = tmp_path / "out"
    summary = convert_folder(inbox, out, workers=1)
    assert summary.needs_review == 1
    record = json.loads((out / "complaints.jsonl").read_text().splitlines()[0])
    assert record["method"] == "scan"
    crops = [a for a in record.get("attachments") or [] if a["name"].startswith("scan-")]
    truth = truth_of(made("gray-200-reordered"))["truth"]
    assert len(crops) == len(truth["written"]) + truth["signed"]
    assert all((out / c["path"]).is_file() for c in crops)


def _mail_with_images(*images: tuple[str, str, bytes], message_id: str) -> bytes:
    """A message as a phone's mail program sends photos: each image as image/<kind>, with a file name."""
    from email import policy
    from email.message import EmailMessage

    message = EmailMessage(policy=policy.SMTP)
    message["From"], message["To"], message["Subject"] = "kunde@example.dk", "klage@kameo.dk", "Klage"
    message["Date"], message["Message-ID"] = "Tue, 01 Dec 2026 09:00:00 +0100", message_id
    message.set_content("Min klage er vedhæftet som billede.")
    for name, kind, data in images:
        message.add_attachment(data, maintype="image", subtype=kind, filename=name)
    return message.as_bytes()


def test_a_photo_of_the_form_attached_to_a_mail_is_read_as_a_scan(made: Callable[[str], Path],
                                                                  tmp_path: Path) -> None:
    """A JPEG of a page (a phone's photo) is read by the scan reader; a small logo beside it is a document."""
    import json

    from klageformular import convert_folder

    logo = _png(np.full((40, 120), 255, dtype=np.uint8))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    photo = made("image-jpeg-page2").read_bytes()
    (inbox / "klage.eml").write_bytes(_mail_with_images(("IMG_0412.jpg", "jpeg", photo), ("logo.png", "png", logo),
                                                        message_id="<p1@example.dk>"))
    out = tmp_path / "out"
    summary = convert_folder(inbox, out, workers=1)
    assert (summary.needs_review, summary.unreadable) == (1, 0)
    record = json.loads((out / "complaints.jsonl").read_text().splitlines()[0])
    assert record["method"] == "scan"
    assert "logo.png" in {a["name"] for a in record["attachments"]}  # kept, as a document of the case


def test_a_mail_with_only_a_picture_that_is_not_the_form_is_a_plain_email_complaint(tmp_path: Path) -> None:
    import json

    from klageformular import convert_folder

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    logo = _png(np.full((40, 120), 255, dtype=np.uint8))
    (inbox / "klage.eml").write_bytes(_mail_with_images(("logo.png", "png", logo), message_id="<p2@example.dk>"))
    out = tmp_path / "out"
    summary = convert_folder(inbox, out, workers=1)
    assert (summary.needs_review, summary.unreadable) == (1, 0)  # the message is the complaint; nothing lost
    record = json.loads((out / "complaints.jsonl").read_text().splitlines()[0])
    assert record["method"] != "scan"
    assert [a["name"] for a in record["attachments"]] == ["logo.png"]


def test_the_parse_command_reads_an_image_file(made: Callable[[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    from klageformular.cli import main

    assert main(["parse", str(made("image-png-page1"))]) == 0
    captured = capsys.readouterr()
    assert "read from scan" in captured.out and "(handwritten)" in captured.err


def test_a_scan_too_coarse_for_a_code_is_refused_early() -> None:
    # The committed fixture: an image-only page at 60 dpi (under two pixels per module).
    with pytest.raises(ScanUnreadableError, match="under 90 dpi") as info:
        parse_pdf(Path(__file__).parent / "fixtures" / "scan.pdf")
    assert info.value.reason == "too_coarse"
