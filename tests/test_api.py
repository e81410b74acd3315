"""The public API is small, sorted and complete."""

from __future__ import annotations

import klageformular


def test_all_is_unique_and_everything_in_it_exists() -> None:
    names = klageformular.__all__  # ruff's RUF022 keeps it sorted
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(klageformular, name), name


def test_every_error_is_a_klageformular_error() -> None:
    from klageformular import exceptions

    for name in exceptions.__all__:
        obj = getattr(exceptions, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning):
            assert issubclass(obj, klageformular.KlageformularError), name
