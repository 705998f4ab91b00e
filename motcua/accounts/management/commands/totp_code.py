"""Print the code an official's authenticator would show now (demo and development convenience).

Whoever can run manage.py already holds the database and its TOTP secrets, so this reveals nothing new; on a
production server, keep manage.py to the operators, as for every other command.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from motcua.accounts import two_factor
from motcua.accounts.services import user_by_username
from motcua.core.errors import ProblemError


class Command(BaseCommand):
    help = "In mã xác thực hai bước (TOTP) hiện tại của một tài khoản cán bộ (dùng cho bản demo, phát triển)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--no-wait", action="store_true", help="không chờ khi mã kế tiếp chưa dùng được")

    def handle(self, *args, username: str, no_wait: bool, **options) -> None:
        try:
            user = user_by_username(username)
        except ProblemError as exc:
            raise CommandError(exc.detail) from exc
        device = two_factor.confirmed_device(user)
        if device is None:
            raise CommandError(f"Tài khoản '{username}' chưa thiết lập ứng dụng xác thực.")
        code, wait = two_factor.next_code(device)
        if wait and not no_wait:
            # Both this step's and the next step's codes were just used: the next usable one is seconds away.
            time.sleep(wait)
        self.stdout.write(code)
