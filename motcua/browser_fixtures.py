"""Fixtures for browser tests: Debian's chromium through Playwright, and a real threaded server per test.

Never `playwright install`: it cannot download here. Without /usr/bin/chromium the tests skip, unless
MOTCUA_REQUIRE_SERVICES=1 (CI), where a missing browser is a failure. Loaded by motcua/conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM (fixtures, live server set-up) is sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("MOTCUA_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is required (MOTCUA_REQUIRE_SERVICES=1)")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def _stray_connection_reaper(django_db_setup, django_db_blocker):
    """At the very end of the session, before the test databases are dropped: see `_close_stray_connections`.

    Not after each test: a later browser test in the same worker may still be using such a connection."""
    yield
    with django_db_blocker.unblock():
        _close_stray_connections()


@pytest.fixture
def server(transactional_db, _stray_connection_reaper):
    """A real threaded HTTP server on this test's database, stopped (and its connections closed) with the test.

    pytest-django's `live_server` lives for the whole session and on PostgreSQL still holds a connection when the
    test database is dropped; this one ends before the database does.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()


def _close_stray_connections() -> None:
    """ORM calls made while Playwright's event loop ran live in another context's connection, out of Django's
    reach; on PostgreSQL they would keep the test database from being dropped."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: $MOTCUA_SCREENSHOT_DIR if set (to look at them), else the test's tmp dir."""
    where = Path(os.environ.get("MOTCUA_SCREENSHOT_DIR") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where
