"""An official's session ends after a period without activity; a citizen's follows Django's session age."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .services import is_official

LAST_SEEN = "motcua_last_seen"
TOUCH_EVERY_SECONDS = 60  # do not write the session on every request


class OfficialIdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and (user.is_staff or is_official(user)):
            now = time.time()
            last = request.session.get(LAST_SEEN)
            idle = settings.MOTCUA_OFFICIAL_IDLE_MINUTES * 60
            if last is not None and now - float(last) > idle:
                logout(request)
                messages.info(request, _("Phiên làm việc đã hết hạn do không hoạt động. Vui lòng đăng nhập lại."))
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # now anonymous: the API answers 401 problem+json
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}")
            if last is None or now - float(last) > TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
