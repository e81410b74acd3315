"""``register list --json`` written from the stored values (register/_listing.py): the same text as the model's.

Each line must be exactly ``CaseSummary.model_dump_json()`` of the case, whichever way it was
written: from the stored values when they are in the model's own form, through the model
otherwise. The rows here are built in memory (the listing reads nothing else from a session).
"""

from __future__ import annotations

import copy
import json
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from klageformular.exceptions import RegisterError
from klageformular.model import Complaint
from klageformular.register._listing import _stored_as_written, summary_line
from klageformular.register._schema import ComplaintRow
from klageformular.register._service import to_summary
from klageformular.register._types import CaseSummary

from .conftest import sample_data
from .registers import complaint_record, rejected_record


def _row(complaint: dict[str, Any] | None, review: list[Any] | None = None, **columns: Any) -> ComplaintRow:
    values: dict[str, Any] = {
        "reference": "KLA-2026-0007", "status": "acknowledged", "version": 3, "received": date(2026, 11, 23),
        "received_at": datetime(2026, 11, 23, 8, 15, 2, 120000, tzinfo=UTC), "acknowledge_by": date(2026, 11, 26),
        "decide_by": date(2026, 12, 21), "acknowledged_on": date(2026, 11, 24), "decided_on": None,
        "outcome": None, "organisation": "kameo-dk", "language": "da", "channel": "file", "assignee": "mikkel",
        "merged_into": None, "not_a_complaint": False, "method": "acroform", "profile_sha256": "ab" * 32,
        "extended_to": None, "extension_reason": None, "waiting_since": None, "waiting_for": None,
        "paused_days": 0, "complaint": complaint, "review": review or [], "message": None,
    }
    return ComplaintRow(**(values | columns))


def _model_line(row: ComplaintRow) -> str:
    return to_summary(None, row).model_dump_json()  # type: ignore[arg-type]  # a summary reads no session


def test_a_batch_record_is_written_as_stored_and_reads_like_the_model() -> None:
    extras: list[dict[str, Any]] = [{}, {"status": "needs_review"}, {"amount": None}, {"email": "Ø@example.dk"}]
    for i, extra in enumerate(extras):
        record = complaint_record(i, **extra)
        row = _row(record["complaint"], record["review"])
        assert _stored_as_written(row.complaint)  # the fast way, for what the batch writes
        assert summary_line(None, row) == _model_line(row)  # type: ignore[arg-type]


def test_the_keys_are_the_summarys_in_its_order() -> None:
    row = _row(complaint_record(1)["complaint"])
    assert list(json.loads(summary_line(None, row))) == list(CaseSummary.model_fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("columns", [
    {},
    {"received_at": None, "acknowledged_on": None, "assignee": None, "profile_sha256": None},
    {"received_at": datetime(2026, 11, 23, 8, 15, tzinfo=UTC), "decided_on": date(2026, 12, 1),
     "outcome": "upheld", "extended_to": date(2027, 1, 4), "extension_reason": "Sagen er \"kompleks\"\n",
     "waiting_since": date(2026, 12, 2), "waiting_for": "kontoudtog æøå", "paused_days": None,
     "not_a_complaint": None, "merged_into": "KLA-2026-0001"},
    {"message": "a mail's text\u2028with a separator", "status": "unreadable", "method": None},
])
def test_the_case_columns_read_like_the_model(columns: dict[str, Any]) -> None:
    row = _row(complaint_record(2)["complaint"], **columns)
    assert summary_line(None, row) == _model_line(row)  # type: ignore[arg-type]


def test_an_unreadable_entry_has_no_complaint() -> None:
    record = rejected_record(4)
    row = _row(None, message=record["message"], status="unreadable")
    assert summary_line(None, row) == _model_line(row)  # type: ignore[arg-type]


def _edited(path: str, value: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(complaint_record(5)["complaint"])
    *parents, last = path.split(".")
    part = data
    for name in parents:
        part = part[name]
    if value is KeyError:
        del part[last]
    else:
        part[last] = value
    return data


# Stored values not in the model's form: each is written through the model, as before.
NOT_AS_WRITTEN = [
    ("complainant.email", "kunde@EXAMPLE.dk"),  # the model writes the domain in lower case
    ("complainant.phone", "20 12 34 56"),  # the model writes E.164
    ("complainant.city", " Aarhus C "),  # the model strips
    ("complainant.city", unicodedata.normalize("NFD", "Århus")),  # the model writes NFC
    ("subject", "Klage\r\nlinje to"),  # the model writes \n
    ("damage.currency", None),  # the model takes the currency from the amount
    ("damage.amount", 12500.5),  # a number, not the model's text
    ("damage.amount", "12.500,50"),
    ("documentation.power_of_attorney", "true"),
    ("facts_date", "1-10-2026"),
    ("complainant_contact", {"street": None, "postcode": None, "city": None, "country": None, "phone": None,
                             "email": None}),  # an empty section is absent in the model's output
    ("investment.transactions", KeyError),  # a record from before a field existed
    ("reply_channel", "Electronic"),
]


@pytest.mark.parametrize(("path", "value"), NOT_AS_WRITTEN)
def test_a_value_not_in_the_models_form_goes_through_the_model(path: str, value: Any) -> None:
    row = _row(_edited(path, value))
    assert not _stored_as_written(row.complaint)
    try:
        expected = _model_line(row)
    except RegisterError:  # does not validate: the list says so, as it did
        with pytest.raises(RegisterError, match="the stored complaint does not validate"):
            summary_line(None, row)  # type: ignore[arg-type]
        return
    assert summary_line(None, row) == expected  # type: ignore[arg-type]


def test_review_items_of_other_kinds_go_through_the_model() -> None:
    items: list[Any] = [{"path": "complainant.phone", "value": "12", "code": "invalid_phone"}, "odd", {"path": ""}]
    row = _row(complaint_record(6)["complaint"], items)
    assert summary_line(None, row) == _model_line(row)  # type: ignore[arg-type]
    odd = _row(complaint_record(6)["complaint"], [{"path": "complainant.phone", "value": 12}])
    with pytest.raises(ValidationError):
        _model_line(odd)
    with pytest.raises(ValidationError):  # not written as stored: the model refuses it, as before
        summary_line(None, odd)  # type: ignore[arg-type]


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_FIELDS = ["complainant.first_name", "complainant.last_name", "complainant.street", "complainant.city",
           "complainant.email", "complainant.phone", "complainant.registration_number", "complainant.lei",
           "investment.project", "subject", "other_comments", "damage.amount", "damage.currency",
           "damage.description", "facts_date", "signature.place", "signature.date"]


def _valid_part(data: dict[str, Any], country: str) -> dict[str, Any]:
    """The complaint the model writes for ``data`` without the values it refuses (most random text is)."""
    for _ in range(5):
        try:
            return Complaint.model_validate(data, context={"country": country}).model_dump(mode="json")
        except ValidationError as exc:
            for error in exc.errors():
                part: Any = data
                *parents, last = [str(p) for p in error["loc"]] or [""]
                for name in parents:
                    part = part.get(name) if isinstance(part, dict) else None
                if isinstance(part, dict):
                    part.pop(last, None)
    assume(False)
    raise AssertionError("unreachable")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(st.sampled_from(_FIELDS), st.one_of(_TEXT, st.sampled_from(
    ["+45 20 30 40 50", "Eva@Example.DK", "ca. 3.000 kr.", "EUR", "12-11-2026", "  x  ", "DK12345674"]))),
    country=st.sampled_from(["DK", "NO", "SE"]))
def test_any_complaint_the_model_writes_is_listed_as_the_model_lists_it(changes: dict[str, str],
                                                                       country: str) -> None:
    data = sample_data()
    for path, value in changes.items():
        section, _, name = path.partition(".")
        if name:
            data.setdefault(section, {})[name] = value
        else:
            data[section] = value
    stored = _valid_part(data, country)
    org = {"DK": "kameo-dk", "NO": "kameo-no", "SE": "kameo-se"}[country]
    row = _row(stored, organisation=org)
    assert summary_line(None, row) == _model_line(row)  # type: ignore[arg-type]
