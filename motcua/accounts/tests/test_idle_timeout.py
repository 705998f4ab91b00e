"""An official who leaves the desk is logged out after the idle period; a citizen is not."""

from __future__ import annotations

import time

from motcua.accounts.middleware import LAST_SEEN
from motcua.accounts.testing import signed_in_client


def _age_session(client, seconds: float) -> None:
    session = client.session
    session[LAST_SEEN] = time.time() - seconds
    session.save()


def test_an_idle_official_is_sent_back_to_the_login(world, settings):
    settings.MOTCUA_OFFICIAL_IDLE_MINUTES = 30
    desk = signed_in_client(world.desk)
    assert desk.get("/can-bo/").status_code == 200
    # given 31 minutes without activity
    _age_session(desk, 31 * 60)
    # when the official comes back
    response = desk.get("/can-bo/")
    # then the session is over and the login page asks again, keeping where they were going
    assert response.status_code == 302 and response["Location"].startswith("/tai-khoan/dang-nhap/?next=/can-bo/")
    assert "_auth_user_id" not in desk.session


def test_an_active_official_stays_logged_in(world, settings):
    settings.MOTCUA_OFFICIAL_IDLE_MINUTES = 30
    desk = signed_in_client(world.desk)
    desk.get("/can-bo/")
    _age_session(desk, 29 * 60)
    assert desk.get("/can-bo/").status_code == 200


def test_a_citizen_is_not_timed_out_like_an_official(world, settings):
    settings.MOTCUA_OFFICIAL_IDLE_MINUTES = 30
    citizen = signed_in_client(world.citizen)
    _age_session(citizen, 31 * 60)
    assert citizen.get("/ho-so/").status_code == 200
