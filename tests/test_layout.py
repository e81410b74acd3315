"""The layout as data: unique names, fields inside the page and apart, every text in every catalogue."""

from __future__ import annotations

import itertools

import pytest

from klageformular.layout import LAYOUT, PAGE_HEIGHT, PAGE_WIDTH, REGISTRATION_MARKS, Kind, field_by_name
from klageformular.locales import LANGUAGES, available_languages, catalogue
from klageformular.model import Complaint


def test_names_and_paths_are_unique_and_flat() -> None:
    names = [f.name for f in LAYOUT.fields]
    assert len(names) == len(set(names))
    assert all("." not in n for n in names)  # a period would mean field hierarchy to a viewer
    assert all(field_by_name(n) is not None for n in names)


def test_every_path_exists_in_the_model() -> None:
    schema = Complaint.model_json_schema()
    defs = schema["$defs"]

    def resolve(node: dict[str, object]) -> dict[str, object]:
        for key in ("anyOf", "allOf"):
            for alt in node.get(key, []):  # type: ignore[attr-defined]
                if "$ref" in alt or "properties" in alt:
                    return resolve(alt)
        if "$ref" in node:
            return defs[str(node["$ref"]).rsplit("/", 1)[1]]  # type: ignore[no-any-return]
        return node

    for spec in LAYOUT.fields:
        node: dict[str, object] = schema
        for part in spec.path.split("."):
            node = resolve(node)
            props = node["properties"]
            assert isinstance(props, dict) and part in props, spec.path
            node = props[part]


def test_fields_sit_on_the_page_inside_the_margins_and_do_not_overlap() -> None:
    for spec in LAYOUT.fields:
        r = spec.rect
        assert 40 <= r.x0 < r.x1 <= PAGE_WIDTH - 40 and 40 <= r.y0 < r.y1 <= PAGE_HEIGHT - 40, spec.path
    boxes = [(f.page, o.rect if f.kind is Kind.RADIO else f.rect, f.path)
             for f in LAYOUT.fields for o in (f.options or (None,))]
    for (pa, a, na), (pb, b, nb) in itertools.combinations(boxes, 2):
        if pa == pb and na != nb:
            assert a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0, (na, nb)


def test_registration_marks_are_clear_of_fields() -> None:
    for x, y in REGISTRATION_MARKS:
        for spec in LAYOUT.fields:
            assert not (spec.rect.x0 - 10 < x < spec.rect.x1 + 10 and spec.rect.y0 - 10 < y < spec.rect.y1 + 10)


def test_limits_are_chosen_on_purpose() -> None:
    for spec in LAYOUT.fields:
        if not spec.kind.is_choice:
            assert spec.max_length is not None and spec.max_length != 100, spec.path  # reportlab's default
    assert next(f for f in LAYOUT.fields if f.path == "subject").max_length >= 4000
    assert [f.path for f in LAYOUT.fields if f.required] == ["complainant.last_name", "subject"]


@pytest.mark.parametrize("lang", available_languages())
def test_every_field_has_label_and_tooltip(lang: str) -> None:
    strings = catalogue(lang)
    for spec in LAYOUT.fields:
        assert strings[spec.path] and strings[f"{spec.path}.tip"], spec.path
        for option in spec.options:
            assert strings[f"{spec.path}.{option.value}"]
    for block in LAYOUT.blocks:
        assert strings[block.key]


def test_da_is_the_complete_reference_catalogue() -> None:
    assert "da" in available_languages() and set(LANGUAGES) >= set(available_languages())
