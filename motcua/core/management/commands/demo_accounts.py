"""List the demo accounts (username, role, agency code; personal ID number for citizens)."""

import json

from django.core.management.base import BaseCommand

from motcua.core.demo import demo_accounts, demo_password


class Command(BaseCommand):
    help = "Liệt kê các tài khoản mẫu."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="in ra JSON")

    def handle(self, *args, **options) -> None:
        rows = demo_accounts()
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Mật khẩu chung của tài khoản mẫu: {demo_password()}")
        for r in rows:
            where = r.get("agency_name") or ""
            self.stdout.write(f"  {r['username']:<16} {r['role']:<13} {r['full_name']:<20} {where}")
