"""Expired sessions leave the table on a schedule: the login form's anonymous ones too, not only at a login."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from klageformular.register._schema import WebSessionRow
from klageformular.web import Settings

from .webserver import Site, workbench


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with workbench(f"sqlite:///{tmp_path / 'klager.db'}", Settings(purge_every=timedelta(minutes=5))) as running:
        yield running


def _rows(site: Site) -> int:
    with Session(site.engine) as s:
        return int(s.scalar(select(func.count()).select_from(WebSessionRow)) or 0)


def _visit(site: Site, minutes: float) -> None:
    """A visitor opens the login form ``minutes`` later and goes away."""
    site.clock.now += timedelta(minutes=minutes)
    assert site.client().get("/login").status_code == 200


def test_the_login_form_deletes_expired_anonymous_sessions_now_and_then(site: Site) -> None:
    officer, _ = site.login("linn")  # a live session that must survive every purge
    for _ in range(3):  # three visitors who opened the form and went away
        _visit(site, 0)
    assert _rows(site) == 4
    site.clock.now += timedelta(minutes=20)
    assert officer.get("/").status_code == 200  # the officer keeps working

    _visit(site, 11)  # 31 minutes: the three are past the 30-minute idle timeout, and purged
    assert _rows(site) == 2  # the officer's, and this visitor's
    assert officer.get("/").status_code == 200

    _visit(site, 27)  # a purge (the last was 27 minutes ago); nothing has expired yet
    _visit(site, 4)  # the visitor at 31 minutes has now expired, but the last purge was 4 minutes ago
    assert _rows(site) == 4
    _visit(site, 2)  # 6 minutes since the last purge: purged
    assert _rows(site) == 3  # the three latest visitors (the officer's session idled out too)
