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


def test_every_error_survives_pickling() -> None:
    # A web server parses in a process pool: the error must arrive whole in the parent.
    import pickle

    from klageformular import exceptions

    samples = [exceptions.TooMuchContentError("a page draws too much", limit="max_page_glyphs", value=2, maximum=1),
               exceptions.UnsupportedFormVersionError("version 9.0", version="9.0"),
               exceptions.ComplaintValidationError([klageformular.ReviewItem("subject", "Emne", None,
                                                                             "missing_required", "is required",
                                                                             "skal udfyldes")]),
               exceptions.NotAPdfError("not a PDF")]
    for error in samples:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and copy.__dict__ == error.__dict__
