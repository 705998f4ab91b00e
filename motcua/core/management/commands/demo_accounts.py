"""List the demo accounts (username, role, agency code; personal ID number for citizens) and, for officials,
how to get the second-factor code: the authenticator secret and the code it accepts now."""

import json

from django.core.management.base import BaseCommand

from motcua.core.demo import demo_accounts, demo_password


class Command(BaseCommand):
    help = "Liệt kê các tài khoản mẫu (kèm khóa và mã xác thực hai bước của cán bộ)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="in ra JSON (cán bộ có totp_secret_base32)")

    def handle(self, *args, **options) -> None:
        rows = demo_accounts()
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Mật khẩu chung của tài khoản mẫu: {demo_password()}")
        self.stdout.write(
            "Cán bộ cần thêm mã xác thực 6 chữ số: thêm khóa bí mật vào ứng dụng xác thực (Google Authenticator…),"
            " hoặc lấy mã hiện tại bằng ./manage.py totp_code <tên đăng nhập> (mã đổi sau 30 giây)."
        )
        for r in rows:
            where = r.get("agency_name") or ""
            self.stdout.write(f"  {r['username']:<16} {r['role']:<13} {r['full_name']:<20} {where}")
            if r.get("totp_secret_base32"):
                self.stdout.write(f"  {'':<16} khóa TOTP: {r['totp_secret_base32']}   mã hiện tại: {r['totp_code']}")
