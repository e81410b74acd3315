"""The command line, in-process: render, fields, schema, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from klageformular import render_form
from klageformular.cli import main
from klageformular.layout import LAYOUT

from .conftest import sample_data


def test_render_writes_the_same_bytes_as_the_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "Klageformular.pdf"
    assert main(["render", "-o", str(out)]) == 0
    assert out.read_bytes() == render_form("da")
    assert "3 pages" in capsys.readouterr().out


def test_render_with_prefill(tmp_path: Path) -> None:
    prefill = tmp_path / "c.json"
    prefill.write_text(json.dumps(sample_data(), ensure_ascii=False), encoding="utf-8")
    assert main(["render", "-o", str(tmp_path / "f.pdf"), "--prefill", str(prefill)]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    assert main(["render", "-o", str(tmp_path / "g.pdf"), "--prefill", str(bad)]) == 1


def test_fields_json_is_the_layout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fields", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [f.name for f in LAYOUT.fields]
    role = next(r for r in rows if r["path"] == "complainant.role")
    assert role["kind"] == "radio" and [o["export"] for o in role["options"]] == ["investor", "borrower", "other"]
    assert all("{" not in r["label"] for r in rows)


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Complaint" and {"complainant", "subject", "reply_channel"} <= set(schema["properties"])
    assert "required" not in schema  # a received complaint may lack anything; the review says what


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--lang", "xx"]) == 2
    assert main([]) == 2


def test_render_all_writes_every_language_and_profile_with_a_manifest(tmp_path: Path) -> None:
    import hashlib

    from klageformular.locales import available_languages
    from klageformular.org import organisation_keys

    assert main(["render", "--all", "-o", str(tmp_path / "a")]) == 0
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert {(f["lang"], f["org"]) for f in manifest["files"]} == {
        (lang, org) for lang in available_languages() for org in organisation_keys()}
    for entry in manifest["files"]:
        data = (tmp_path / "a" / entry["file"]).read_bytes()
        assert entry["file"] == f"Klageformular-{entry['lang']}-{entry['org']}.pdf"
        assert (entry["bytes"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert main(["render", "--all", "-o", str(tmp_path / "b")]) == 0  # stable: same names, same hashes
    assert (tmp_path / "b" / "manifest.json").read_bytes() == (tmp_path / "a" / "manifest.json").read_bytes()
    assert main(["render", "--all", "--prefill", "x.json", "-o", str(tmp_path / "c")]) == 2


@pytest.mark.parametrize(("setting", "seen"), [(None, False), ("", True)])
def test_pydantic_plugins_do_not_see_complaints_unless_allowed(tmp_path: Path, setting: str | None,
                                                              seen: bool) -> None:
    """A pydantic plugin installed beside us (here a real entry point) is not loaded by the CLI."""
    import os
    import subprocess
    import sys

    (tmp_path / "spy_plugin.py").write_text(
        "import os, pathlib\n"
        "class Spy:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        pathlib.Path(os.environ['SPY_FILE']).write_text('seen')\n"
        "        return None, None, None\n"
        "plugin = Spy()\n", encoding="utf-8")
    dist = tmp_path / "spy-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: spy\nVersion: 0.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    env.update(PYTHONPATH=str(tmp_path), SPY_FILE=str(tmp_path / "seen"))
    if setting is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = setting
    fixture = Path(__file__).parent / "fixtures" / "filled-pypdf.pdf"
    done = subprocess.run([sys.executable, "-m", "klageformular", "parse", str(fixture)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "seen").exists() is seen
