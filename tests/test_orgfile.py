"""Organisation profiles from files: export, load, errors naming the key and line, and the round trip
through the form, the parser and the letters."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pdfplumber
import pytest

from klageformular import parse_pdf, render_form
from klageformular.cli import main
from klageformular.exceptions import ConfigurationError, OrganisationFileError
from klageformular.org import get_organisation, organisation_keys
from klageformular.orgfile import dumps_organisation, load_organisation, loads_organisation

PHONE = "+47 41 23 45 67"


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in doc.pages)


@pytest.mark.parametrize("key", organisation_keys())
@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_export_loads_back_to_the_same_profile(key: str, fmt: str, tmp_path: Path) -> None:
    org = get_organisation(key)
    path = tmp_path / f"{key}.{fmt}"
    path.write_text(dumps_organisation(org, fmt), encoding="utf-8")  # type: ignore[arg-type]
    assert load_organisation(path) == org


def test_export_names_the_keys_letters_need_when_unset() -> None:
    text = dumps_organisation(get_organisation("kameo-dk"))
    assert "complaints_officer.phone" in text and "decision_working_days" in text
    assert text.startswith("#")  # the hints are comments: the file still loads
    org = get_organisation("kameo-dk").model_copy(update={"decision_working_days": 10})
    assert "#   decision_working_days" not in dumps_organisation(org)


def _edited(**replace: str) -> str:
    text = dumps_organisation(get_organisation("kameo-dk"))
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize(("old", "new", "key", "line_text"), [
    # a wrong type inside a table
    ('email = "linn@kameo.no"\n', 'email = "linn@kameo.no"\nphone = 4741234567\n', "complaints_officer.phone",
     "phone = 4741234567"),
    # inside the second [[escalation]] entry
    ('web = "www.fanke.dk"', "web = 5", "escalation[1].web", "web = 5"),
    # a key the model does not have (a typo)
    ("acknowledge_working_days = 3", "acknowledge_workdays = 3", "acknowledge_workdays", "acknowledge_workdays = 3"),
    # out of range for the EU rule
    ("acknowledge_working_days = 3", "acknowledge_working_days = 12", "acknowledge_working_days",
     "acknowledge_working_days = 12"),
    # a bad pattern
    ('country = "DK"', 'country = "Danmark"', "country", 'country = "Danmark"'),
])
def test_invalid_values_name_the_key_and_line(old: str, new: str, key: str, line_text: str) -> None:
    text = _edited(**{old: new})
    with pytest.raises(OrganisationFileError, match=r"^kameo\.toml: ") as info:
        loads_organisation(text, name="kameo.toml")
    assert info.value.key == key
    assert key in str(info.value)
    assert info.value.line is not None and f"(line {info.value.line})" in str(info.value)
    assert text.splitlines()[info.value.line - 1].strip() == line_text


def test_a_top_level_key_written_after_a_table_is_reported_under_that_table() -> None:
    """The classic TOML slip: a top-level key appended at the end lands in the last table."""
    text = dumps_organisation(get_organisation("kameo-dk")) + 'postal_address = "Kameo, Box 1"\n'
    with pytest.raises(OrganisationFileError,
                       match=r"authorities\[2\]\.remit \(line \d+\): .*not postal_address") as info:
        loads_organisation(text)
    assert text.splitlines()[(info.value.line or 0) - 1] == "[authorities.remit]"


def test_a_missing_key_points_at_its_table() -> None:
    text = _edited(**{'email = "linn@kameo.no"\n': ""})
    with pytest.raises(OrganisationFileError, match=r"complaints_officer\.email \(line \d+\): Field required") as info:
        loads_organisation(text)
    assert text.splitlines()[(info.value.line or 0) - 1] == "[complaints_officer]"


def test_toml_syntax_errors_give_the_line() -> None:
    text = _edited(**{'country = "DK"': 'country = "DK'})
    line = text.splitlines().index('country = "DK') + 1
    with pytest.raises(OrganisationFileError, match=rf"^kameo\.toml: invalid TOML: .*line {line}") as info:
        loads_organisation(text, name="kameo.toml")
    assert info.value.line == line


@pytest.mark.parametrize(("text", "match", "line"), [
    ('{\n  "key": "x",\n  "name": \n}', r"line 4: invalid JSON", 4),
    ("[1, 2]", r"a profile is a table of keys, not list", None),
])
def test_json_errors(text: str, match: str, line: int | None) -> None:
    with pytest.raises(OrganisationFileError, match=match) as info:
        loads_organisation(text, "json")
    assert info.value.line == line


def test_json_validation_error_names_key_and_line() -> None:
    data = get_organisation("kameo-se").model_dump(mode="json", exclude_none=True)
    data["decision_working_days"] = "fifteen"
    text = json.dumps(data, ensure_ascii=False, indent=2)
    with pytest.raises(OrganisationFileError, match=r"decision_working_days \(line \d+\)") as info:
        loads_organisation(text, "json")
    assert '"decision_working_days"' in text.splitlines()[(info.value.line or 0) - 1]


@pytest.mark.parametrize(("content", "match"), [
    (None, "cannot read the profile"),
    (b"\xff\xfe\x00k", "not UTF-8"),
])
def test_unreadable_files(tmp_path: Path, content: bytes | None, match: str) -> None:
    path = tmp_path / "kameo.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(OrganisationFileError, match=match):
        load_organisation(path)


def test_errors_are_configuration_errors() -> None:
    assert issubclass(OrganisationFileError, ConfigurationError)


def test_round_trip_export_edit_phone_load_render_form_and_letter(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's round trip, through the command line: the new phone shows on the form and the letter."""
    assert main(["org", "export", "kameo-dk"]) == 0
    exported = capsys.readouterr().out
    assert PHONE not in exported
    profile = tmp_path / "kameo.toml"
    profile.write_text(exported.replace('email = "linn@kameo.no"\n', f'email = "linn@kameo.no"\nphone = "{PHONE}"\n', 1)
                       .replace("acknowledge_working_days = 3\n", "acknowledge_working_days = 3\n"
                                "decision_working_days = 15\n"), encoding="utf-8")

    form = tmp_path / "form.pdf"
    assert main(["render", "--org-file", str(profile), "-o", str(form)]) == 0
    text = _text(form.read_bytes())
    assert PHONE in text
    assert "15 arbejdsdage" in text  # the decision timeframe now shows on the information page
    assert PHONE not in _text(render_form("da"))

    record = tmp_path / "record.json"
    record.write_text(json.dumps({
        "language": "da", "organisation": "kameo-dk", "method": "acroform", "received": "2026-11-24",
        "complaint": {"complainant": {"last_name": "Ørsted", "email": "o@example.dk"}, "subject": "Renter"},
    }), encoding="utf-8")
    letter = tmp_path / "ack.pdf"
    assert main(["letter", "ack", "--record", str(record), "--reference", "KLA-2026-0001", "--org-file", str(profile),
                 "--date", "2026-11-25", "-o", str(letter)]) == 0
    assert PHONE in _text(letter.read_bytes())
    # Without the file, the built-in profile has no phone: the letter is refused with the rule.
    assert main(["letter", "ack", "--record", str(record), "--reference", "KLA-2026-0001",
                 "-o", str(tmp_path / "no.pdf")]) == 1
    assert "2022/2117 art. 3" in capsys.readouterr().err


def test_parse_and_batch_take_the_profile_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "kameo.json"
    org = get_organisation("kameo-dk").model_copy(update={"key": "kameo-dk-legal", "acknowledge_working_days": 5})
    profile.write_text(dumps_organisation(org, "json"), encoding="utf-8")
    form = tmp_path / "inbox" / "form.pdf"
    form.parent.mkdir()
    form.write_bytes(render_form("da", prefill={"complainant": {"last_name": "Berg", "email": "b@example.dk"},
                                                     "subject": "Renter"}))

    assert parse_pdf(form, org=load_organisation(profile)).organisation == "kameo-dk-legal"
    assert main(["parse", "--json", "--org-file", str(profile), str(form)]) == 0
    assert json.loads(capsys.readouterr().out)["organisation"] == "kameo-dk-legal"

    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "inbox"), "-o", str(out), "--org-file", str(profile), "--received",
                 "2026-11-27", "--workers", "1", "--quiet"]) == 0
    record = json.loads((out / "complaints.jsonl").read_text(encoding="utf-8"))
    assert record["acknowledge_by"] == "2026-12-04"  # Friday + 5 working days (3 would be 2 December)


def test_org_export_rechecks_a_file_and_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(_edited(**{'web = "www.fanke.dk"': "web = 5"}), encoding="utf-8")
    assert main(["org", "export", "--org-file", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "escalation[1].web (line" in err


def test_retention_policy_comes_from_the_file_with_no_invented_default_for_unreadable_files() -> None:
    """5 years after closure unless the file says otherwise; ``unreadable_retention_days`` stays unset (the
    starting file names it) until the file sets it; a nonsense value is refused naming the key and line."""
    org = get_organisation("kameo-dk")
    assert (org.retention_years_after_closure, org.unreadable_retention_days) == (5, None)
    assert "#   unreadable_retention_days" in dumps_organisation(org)
    text = dumps_organisation(org).replace("retention_years_after_closure = 5\n", "")
    loaded = loads_organisation("retention_years_after_closure = 7\nunreadable_retention_days = 90\n" + text)
    assert (loaded.retention_years_after_closure, loaded.unreadable_retention_days) == (7, 90)
    with pytest.raises(OrganisationFileError, match=r"retention_years_after_closure \(line 1\)"):
        loads_organisation("retention_years_after_closure = 0\n" + text)
