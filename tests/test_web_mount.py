"""``serve --website``: the customer website under /website beside the workbench, each with its own rules.

Both apps over one register, served together by uvicorn on a loopback port: a customer's
upload through the website becomes a case an officer opens in the workbench; the website's
answers carry none of the workbench's headers and need no session, and the workbench's
sessions, CSRF and headers are exactly as when it runs alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from klageformular import Complaint, render_form
from klageformular.exceptions import ConfigurationError
from klageformular.values import field_values
from klageformular.web._mount import combine, load_website

from .conftest import sample_data
from .fillers import fill_pypdf
from .webserver import Site, csrf_of, serving, workbench


@pytest.fixture
def both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Site, str]]:
    """The workbench's test site, and the website example mounted beside it over the same register."""
    db = f"sqlite:///{tmp_path / 'klager.db'}"
    with workbench(db) as site:
        # The website reads its settings from the environment, as `klageformular serve` leaves it.
        monkeypatch.setenv("KLAGEFORMULAR_DB", db)
        monkeypatch.setenv("KLAGEFORMULAR_PREFILL_SECRET", "test-secret")
        website = load_website("examples.website.app:site")
        try:
            with serving(combine(site.app, website, prefix="/website")) as url:
                yield site, url
        finally:
            website.state.parse_pool.shutdown(wait=False)  # type: ignore[attr-defined]
            website.state.engine.dispose()  # type: ignore[attr-defined]


def test_an_upload_through_the_website_is_a_case_in_the_workbench(both: tuple[Site, str]) -> None:
    site, url = both
    with httpx.Client(base_url=url, timeout=60) as customer:
        form = customer.get("/website/klageformular.pdf?lang=da")
        assert form.status_code == 200 and form.headers["content-type"] == "application/pdf"
        assert form.headers["cache-control"] == "public, max-age=86400"  # the website's own caching
        assert "content-security-policy" not in form.headers and "server-timing" not in form.headers
        assert customer.get("/website/klageformular.pdf?lang=da",
                            headers={"if-none-match": form.headers["etag"]}).status_code == 304
        assert customer.get("/website/healthz").json()["status"] == "ok"
        pdf = fill_pypdf(render_form("da"), field_values(Complaint.model_validate(sample_data()), "da"))
        sent = customer.post("/website/complaints", files={"file": ("Klageformular.pdf", pdf, "application/pdf")})
        assert sent.status_code == 200, sent.text  # no session, no CSRF token: the customer's own endpoint
        reference = sent.json()["reference"]
        assert reference == "KLA-2026-0003"  # after the two cases the test register holds
        assert "set-cookie" not in sent.headers
        assert customer.get("/website/nothing-here").status_code == 404  # the website's 404, not a login

    with httpx.Client(base_url=url, timeout=30) as officer:
        site.login("linn", client=officer)
        page = officer.get(f"/cases/{reference}")
        assert page.status_code == 200 and reference in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_the_workbench_keeps_its_security_beside_the_website(both: tuple[Site, str]) -> None:
    site, url = both
    with httpx.Client(base_url=url, timeout=30) as anonymous:
        answer = anonymous.get("/")
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert anonymous.get("/cases/KLA-2026-0001", headers={"accept": "application/json"}).status_code == 401
        assert anonymous.get("/website").status_code in (303, 404)  # the bare prefix is not the website's page
    with httpx.Client(base_url=url, timeout=30) as officer:
        site.login("linn", client=officer)
        page = officer.get("/cases/KLA-2026-0001")
        assert officer.post("/cases/KLA-2026-0001/notes", data={"text": "no token"}).status_code == 403
        assert officer.post("/cases/KLA-2026-0001/notes",
                            data={"text": "with a token", "csrf": csrf_of(page.text)}).status_code == 303


@pytest.mark.parametrize(("spec", "message"), [
    ("examples.website.app", "expected MODULE:FACTORY"),
    ("examples.website.nothing:site", "ModuleNotFoundError"),
    ("examples.website.app:no_such_factory", "AttributeError"),
    ("examples.website.app:PREFILL_TTL_SECONDS", "is not a function"),
])
def test_a_website_that_cannot_be_loaded_is_refused_before_serving(spec: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_website(spec)


@pytest.mark.parametrize("prefix", ["/", "", "/web site", "/../x"])
def test_a_prefix_must_be_a_plain_path(prefix: str) -> None:
    with pytest.raises(ConfigurationError, match="--website-prefix"):
        combine(lambda *a: None, lambda *a: None, prefix=prefix)  # type: ignore[arg-type]


def test_serve_with_a_bad_website_says_so_in_one_line_and_exits_2(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from klageformular.cli import main

    assert main(["serve", "--db", f"sqlite:///{tmp_path / 'klager.db'}", "--port", "0",
                 "--website", "examples.website.app:no_such_factory"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("klageformular: --website") and "AttributeError" in err[0]
