"""The public API is small, sorted and complete."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import klageformular


def test_all_is_unique_and_everything_in_it_exists() -> None:
    names = klageformular.__all__  # ruff's RUF022 keeps it sorted
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(klageformular, name), name


def test_the_whole_exception_tree_is_exported() -> None:
    from klageformular import exceptions

    assert set(exceptions.__all__) <= set(klageformular.__all__)


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
               exceptions.NotAPdfError("not a PDF"),
               exceptions.StaleCaseError("KLA-2026-0003 was acknowledged by mikkel at 10:02 UTC; nothing done",
                                         reference="KLA-2026-0003", version=2),
               exceptions.CorrectionRefusedError("complainant.email: is not a valid email address",
                                                 path="complainant.email", code="invalid_email")]
    for error in samples:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and copy.__dict__ == error.__dict__


# --- lazy loading (issue 19: cold start) ------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
# What reading a form never needs: the renderer's and letters' PDF library, the holiday calendars,
# the register's database layer, the batch progress bar, and our own render/batch/mail/register code.
NOT_FOR_PARSING = ("reportlab", "holidays", "sqlalchemy", "rich", "klageformular.render", "klageformular.batch",
                   "klageformular._mailbatch", "klageformular.intake", "klageformular.letters",
                   "klageformular.register.models")


def _loaded_after(code: str) -> set[str]:
    """The top-level names of NOT_FOR_PARSING that ``code`` loads, in a fresh interpreter."""
    modules = _modules_after(code)
    return {name for name in NOT_FOR_PARSING if name in modules}


@pytest.mark.parametrize("code", [
    "import klageformular",
    "import klageformular.cli",
    "from klageformular import parse_pdf, Complaint, ParseResult, KlageformularError",
    *(f"from klageformular import parse_pdf\nparse_pdf({str(FIXTURES / name)!r})"
      for name in ("filled-pdftk.pdf", "filled-pypdf.pdf", "flat-gs.pdf", "flat-mutool.pdf")),
    "from klageformular.cli import main\n"
    f"assert main(['parse', '--json', {str(FIXTURES / 'filled-pdftk.pdf')!r}]) == 0",
    f"from klageformular.cli import main\nassert main(['parse', {str(FIXTURES / 'flat-gs.pdf')!r}]) == 0",
], ids=["import", "import-cli", "from-import", "parse-pdftk", "parse-pypdf", "parse-gs", "parse-mutool",
        "cli-parse-json", "cli-parse-text"])
def test_reading_a_form_loads_no_renderer_calendar_database_or_mail_stack(code: str) -> None:
    assert _loaded_after(code) == set()


@pytest.mark.parametrize("name", ["filled-pdftk.pdf", "filled-pypdf.pdf"])
def test_a_filled_form_is_read_without_pdfminer(name: str) -> None:
    # pdfminer and pdfplumber are the text path's: a form with its fields never needs them.
    probe = (f"from klageformular import parse_pdf\nassert parse_pdf({str(FIXTURES / name)!r}).method == 'acroform'\n"
             "text_path = {'pdfminer', 'pdfplumber', 'klageformular.parse.text'}\n"
             "assert not text_path & set(sys.modules), sorted(sys.modules)")
    assert _loaded_after(probe) == set()


def test_the_cli_parse_reads_no_profile_file_reader_without_org_file() -> None:
    # --org-file's TOML/JSON reader (orgfile, tomllib, tomli_w) loads only when a profile file is given.
    probe = ("from klageformular.cli import main\n"
             f"assert main(['parse', {str(FIXTURES / 'filled-pdftk.pdf')!r}]) == 0\n"
             "assert not {'klageformular.orgfile', 'tomllib', 'tomli_w'} & set(sys.modules), sorted(sys.modules)")
    assert _loaded_after(probe) == set()


def test_the_heavy_parts_still_load_when_asked_for() -> None:
    # The probe can tell: rendering does load reportlab, so an empty set above means something.
    assert _loaded_after("from klageformular import render_form\nrender_form('da')") >= {"reportlab",
                                                                                        "klageformular.render"}


@pytest.mark.parametrize("name", klageformular.__all__)
def test_every_public_name_is_the_defining_modules_object(name: str) -> None:
    value = getattr(klageformular, name)
    module = getattr(value, "__module__", None)
    if isinstance(value, type | types.FunctionType) and module and module.startswith("klageformular."):
        assert getattr(importlib.import_module(module), name) is value
    assert name in dir(klageformular)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        klageformular.no_such_thing  # noqa: B018
    assert not hasattr(klageformular, "_LAZY_typo")


def test_building_the_command_line_builds_no_profile_model() -> None:
    # --org's choices are the profiles' keys, read when argparse first looks (LazyChoices).
    probe = ("from klageformular.cli import _parser\n_parser()\n"
             "assert not {'klageformular.org', 'pydantic'} & set(sys.modules), sorted(sys.modules)")
    assert _loaded_after(probe) == set()


def test_a_batch_run_with_nothing_new_loads_no_pdf_reader_or_database(tmp_path: Path) -> None:
    # Issue 25, a command with nothing to do: the parser and the scan reader load in the
    # workers, which a run with nothing to read never starts; the register is not opened (register/_probe.py).
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "a.pdf")
    args = ["batch", str(inbox), "-o", str(tmp_path / "out"), "-q", "--workers", "1", "--register",
            "--db", f"sqlite:///{tmp_path / 'klager.db'}"]
    run = f"from klageformular.cli import main\nassert main({args!r}) == 0\n"
    assert "sqlalchemy" in _modules_after(run)  # the first run reads the file (in a worker), imports its record
    again = _modules_after(run)
    assert not {"pypdf", "pdfplumber", "sqlalchemy", "alembic", "klageformular.parse",
                "klageformular.scan", "reportlab"} & again, sorted(again)


def _modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout.splitlines()[-1]))
