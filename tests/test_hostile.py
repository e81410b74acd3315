"""Hostile and broken input: only KlageformularError escapes, limits hold, nothing personal leaks."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klageformular import (
    EncryptedPdfError,
    KlageformularError,
    LimitExceededError,
    Limits,
    NotAPdfError,
    PdfReadError,
    XfaFormError,
    parse_pdf,
    render_form,
)
from klageformular.exceptions import FieldValueTooLongError, StreamTooLargeError, TooManyPagesError

from .conftest import load_script

ROOT = Path(__file__).resolve().parent.parent


CORPUS = dict(load_script("scripts/make_fuzz_corpus.py").cases(full=False))

EXPECTED: dict[str, type[Exception] | str] = {
    "valid-form.pdf": "valid",
    "empty.pdf": NotAPdfError,
    "zeros.pdf": NotAPdfError,
    "random.pdf": NotAPdfError,
    "html-saved-as.pdf": NotAPdfError,
    "flate-bomb.pdf": StreamTooLargeError,
    "huge-field-value.pdf": FieldValueTooLongError,
    "xfa-only.pdf": XfaFormError,
    "encrypted.pdf": EncryptedPdfError,
    "many-pages.pdf": TooManyPagesError,
    "depth-bomb.pdf": PdfReadError,
    "page-tree-loop.pdf": PdfReadError,
    "javascript-launch.pdf": "valid",  # read like any form; nothing is run or fetched
    # Content-heavy pages: small files that take a lot of work to draw (issue 15: 23 s and 780 MB).
    # The budget stops them (TooMuchContentError; on a very busy machine its deadline may come first).
    "many-tiny-text-ops.pdf": LimitExceededError,
    "grown-page-content.pdf": LimitExceededError,
    "nested-xobjects.pdf": LimitExceededError,
}


@pytest.fixture(autouse=True)
def _quiet_pypdf() -> Iterator[None]:
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)  # other tests in this worker count pypdf's repair notes


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_case_gives_a_result_or_a_klageformular_error(name: str) -> None:
    data = CORPUS[name]
    outcome: type[Exception] | str
    message = ""
    try:
        outcome = "valid" if parse_pdf(data).valid else "invalid"
    except KlageformularError as exc:
        outcome, message = type(exc), str(exc)
    if isinstance(outcome, type):
        assert message and "\n" not in message  # one line the officer can read
    expected = EXPECTED.get(name)
    if isinstance(expected, type):
        assert isinstance(outcome, type) and issubclass(outcome, expected), outcome
    elif expected is not None:
        assert outcome == expected


def test_limits_are_configurable() -> None:
    form = CORPUS["valid-form.pdf"]
    with pytest.raises(LimitExceededError, match="limit") as info:
        parse_pdf(form, limits=Limits(max_file_bytes=10_000))
    assert info.value.limit == "max_file_bytes"
    with pytest.raises(TooManyPagesError):
        parse_pdf(form, limits=Limits(max_pages=2))
    with pytest.raises(LimitExceededError):
        parse_pdf(form, limits=Limits(max_objects=10))
    with pytest.raises(FieldValueTooLongError, match=r"complainant\.\w+ holds"):
        parse_pdf(form, limits=Limits(max_value_chars=10))


_FORM = render_form("da", prefill={"complainant": {"last_name": "Żółć", "email": "a@b.dk"}, "subject": "Renter"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_FORM) - 1), st.binary(min_size=0, max_size=8)), min_size=1,
                max_size=12), st.integers(0, len(_FORM)))
def test_mutated_forms_only_raise_klageformular_errors(edits: list[tuple[int, bytes]], cut: int) -> None:
    data = bytearray(_FORM)
    for offset, replacement in edits:
        data[offset:offset + len(replacement)] = replacement
    with contextlib.suppress(KlageformularError):
        parse_pdf(bytes(data[: max(cut, 64)]))


def test_nothing_personal_reaches_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    secrets = ["Łukasz", "Żółć", "lukasz@example.dk", "010190-1234", "Renten blev ikke udbetalt"]
    with caplog.at_level(logging.DEBUG, logger="klageformular"):
        result = parse_pdf(CORPUS["valid-form.pdf"])
        broken = render_form("da", prefill={"complainant": {"last_name": "Żółć", "email": "a@b.dk"},
                                            "subject": "Mit CPR er 010190-1234"})
        parse_pdf(broken)
    text = caplog.text + " ".join(w.message for w in result.warnings) + " ".join(e.message for e in result.review)
    for secret in secrets:
        assert secret not in text


def test_no_temporary_files_are_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A temporary folder of this test's own: other test workers (ghostscript) write to /tmp meanwhile.
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    monkeypatch.setenv("TMPDIR", str(private))
    truncated = next(n for n in CORPUS if n.startswith("truncated-") and n != "truncated-000000.pdf")
    for name in ("valid-form.pdf", "flate-bomb.pdf", "encrypted.pdf", truncated):
        with contextlib.suppress(KlageformularError):
            parse_pdf(io.BytesIO(CORPUS[name]))
    assert tempfile.gettempdir() == str(private) and not list(private.iterdir())


def test_batch_over_the_whole_corpus_accounts_for_every_file(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from klageformular.cli import main

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, data in CORPUS.items():
        (inbox / name).write_bytes(data)
    code = main(["batch", str(inbox), "-o", str(tmp_path / "out"), "--workers", "2", "--timeout", "20", "-q"])
    captured = capsys.readouterr()
    assert code == 1  # some files are rejected: that is the point of the corpus
    assert "Traceback" not in captured.out + captured.err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["inputs"] == len(CORPUS) == (summary["complete"] + summary["needs_review"] + summary["unreadable"]
                                                 + summary["duplicates"] + summary["skipped_already_done"])
    # One line per file a person must look at: unreadable, or a complaint that needs review.
    assert summary["unreadable"] + summary["needs_review"] == len(captured.err.splitlines())
    assert summary["unreadable"] > len(CORPUS) // 2
    lines = [json.loads(line) for name in ("complaints.jsonl", "rejected.jsonl", "duplicates.jsonl")
             if (tmp_path / "out" / name).exists()
             for line in (tmp_path / "out" / name).read_text(encoding="utf-8").splitlines()]
    assert sorted(line["source"] for line in lines) == sorted(CORPUS)
    assert "internal error" not in summary["unreadable_by_reason"]
