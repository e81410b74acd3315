"""The record (records.py): one model for every line of complaints, rejected and duplicates; old lines still read."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from klageformular import batch
from klageformular.records import (
    COMPLAINTS,
    DUPLICATES,
    LEDGER,
    RECORD_FILES,
    REJECTED,
    AttachedFile,
    Record,
    read_records,
)

OLD = Path(__file__).parent / "fixtures" / "records"  # written by the versions before the model


def _lines(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (OLD / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", RECORD_FILES)
def test_old_lines_read_and_write_back_unchanged(name: str) -> None:
    """Every line of the old writers is a record, and writes back as the same JSON: nothing lost, and
    nothing added but the message's hash (taken from its saved message file).
    """
    old = _lines(name)
    records = list(read_records(OLD / name))
    assert len(records) == len(old) > 0
    for record, line in zip(records, old, strict=True):
        written = record.to_line()
        assert written.pop("message_sha256", None) == (str(line["message_file"]).removeprefix("attachments/")
                                                       if "message_file" in line else None)
        assert written == line


def test_kinds_and_fields_of_old_lines() -> None:
    complaints = {r.source: r for r in read_records(OLD / COMPLAINTS)}
    rejected = {r.source: r for r in read_records(OLD / REJECTED)}
    duplicates = {r.source: r for r in read_records(OLD / DUPLICATES)}
    assert {r.kind for r in complaints.values()} == {"complaint"}
    assert {r.kind for r in rejected.values()} == {"unreadable"}
    assert {r.kind for r in duplicates.values()} == {"duplicate"}
    email = complaints["scanning.eml"]
    assert (email.method, email.sender, email.message_id) == ("email", "Eva Ørsted <eva@example.dk>",
                                                             "<scan@example.dk>")
    # The message's hash, from the saved message file (the old lines had no message_sha256).
    assert email.message_sha256 == email.sha256 == (email.message_file or "").removeprefix("attachments/")
    scan = rejected["scanning.eml/scanning.pdf"]
    assert scan.message_sha256 == email.message_sha256 and scan.error == "NoTextLayerError"
    assert isinstance((email.attachments or [])[0], AttachedFile)
    assert rejected["bilag-\\xff.txt"].source_bytes == "YmlsYWct/y50eHQ="


def test_the_json_name_of_the_sender_is_from() -> None:
    record = Record(source="m.eml", sender="Eva <eva@example.dk>")
    assert record.to_line() == {"source": "m.eml", "from": "Eva <eva@example.dk>"}
    assert Record.from_line({"source": "m.eml", "from": "x"}).sender == "x"


def test_the_first_versions_errors_are_the_review_and_unknown_keys_are_kept() -> None:
    item = {"path": "complainant.phone", "code": "invalid_phone"}
    record = Record.from_line({"source": "a.pdf", "errors": [item], "complaint": {}, "future_field": 1})
    assert record.review == [item] and record.kind == "complaint"
    assert record.to_line()["future_field"] == 1


def test_only_fields_set_reach_the_line() -> None:
    record = Record(source="a.pdf").with_(sha256=None, received="2026-11-23")
    assert record.to_line() == {"source": "a.pdf", "sha256": None, "received": "2026-11-23"}


def test_broken_and_half_written_lines_are_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / COMPLAINTS
    path.write_text('{"source": "a.pdf"}\n[1, 2]\nnot json\n{"source": 3}\n{"source": "b.pdf"}\n{"sour',
                    encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="klageformular.records"):
        assert [r.source for r in read_records(path)] == ["a.pdf", "b.pdf"]
    assert "line 2 is not a record" in caplog.text and "half-written" in caplog.text


def test_one_home_for_the_output_names() -> None:
    assert (batch.COMPLAINTS, batch.REJECTED, batch.DUPLICATES) == RECORD_FILES
    assert LEDGER == "messages.jsonl"
    from klageformular import intake

    assert intake.LEDGER is LEDGER


SRC = Path(__file__).resolve().parent.parent / "src" / "klageformular"


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports, resolved to dotted names under ``klageformular`` (type-only ones too)."""
    import ast

    package = ["klageformular", *path.relative_to(SRC).parent.parts]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(("module", "forbidden"), [
    ("_mailbatch.py", "klageformular.batch"),  # the batch drives mail intake, never the reverse
    ("_entry.py", "klageformular.batch"),
    ("register/_export.py", "klageformular.batch"),  # the register does not reach back into intake
    ("exceptions.py", "klageformular.parse"),  # the error module imports no reader
])
def test_layers_do_not_reach_back(module: str, forbidden: str) -> None:
    assert not {name for name in _imports(SRC / module) if name == forbidden or name.startswith(forbidden + ".")}


def test_no_record_is_read_by_string_key_outside_its_module() -> None:
    import re

    pattern = re.compile(r"\brecord(\.get\(|\[\")")
    examples = SRC.parent.parent / "examples"
    offenders = [str(path) for path in [*SRC.rglob("*.py"), *examples.rglob("*.py")]
                 if path.name != "records.py" and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_coerce_takes_a_record_or_a_line_and_names_the_fields_at_fault() -> None:
    from klageformular.exceptions import ConfigurationError, RegisterError
    from klageformular.letters import letter_case_from_record

    record = Record.from_line({"source": "a.pdf", "status": "unreadable", "received": "2026-11-27"})
    assert Record.coerce(record) is record
    assert Record.coerce(record.to_line()) == record
    line = {"source": "a.pdf", "page_count": "kunde@example.dk", "received": 20261127}
    for error in (ConfigurationError, RegisterError):
        with pytest.raises(error, match=r"^not a batch record \(received, page_count\)$") as caught:
            Record.coerce(line, error=error)
        assert "kunde@example.dk" not in str(caught.value)  # the fields, never the values
    with pytest.raises(ValueError, match=r"^not a batch record \(record\)$"):
        Record.coerce([1, 2])  # type: ignore[arg-type]  # not a mapping at all
    # Both readers of a line say the same (letters: a ConfigurationError; the register: a RegisterError).
    with pytest.raises(ConfigurationError, match=r"^not a batch record \(received, page_count\)$"):
        letter_case_from_record(line, reference="KLA-2026-0001")
