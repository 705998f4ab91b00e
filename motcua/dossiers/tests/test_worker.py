"""The embedded background worker runs both periodic jobs in one round, and a failing one spares the other."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_one_round_sweeps_deadlines_and_delivers_the_outbox(settings, tmp_path):
    settings.MOTCUA_EXCHANGE_KEY_PATH = str(tmp_path / "exchange-key.pem")
    out, err = io.StringIO(), io.StringIO()
    call_command("run_worker", "--once", stdout=out, stderr=err)
    assert "sweep: {" in out.getvalue()
    assert err.getvalue() == ""
