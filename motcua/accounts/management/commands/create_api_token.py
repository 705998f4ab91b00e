"""Print a new bearer token for a user (shown once; only its hash is stored)."""

from django.core.management.base import BaseCommand, CommandError

from motcua.accounts.services import create_api_token, user_by_username
from motcua.core.errors import ProblemError


class Command(BaseCommand):
    help = "Tạo mã truy cập API (Bearer) cho một tài khoản và in ra một lần."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, username: str, name: str, **options) -> None:
        try:
            user = user_by_username(username)
        except ProblemError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(create_api_token(user, name))
