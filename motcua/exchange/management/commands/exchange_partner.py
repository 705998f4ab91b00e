"""Register or update an inter-agency partner (idempotent): `make run` uses it for the simulated agencies."""

from __future__ import annotations

import json
import time
import urllib.request

from django.core.management.base import BaseCommand, CommandError

from motcua.exchange.models import ExchangePartner


class Command(BaseCommand):
    help = (
        "Khai báo hoặc cập nhật một cơ quan liên thông. --internal: cơ quan xử lý ngay trong motcua; "
        "--url: hệ thống ngoài (motcua gửi tới <url>/messages); --fetch-jwks lấy khóa công khai tại <url>/jwks."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="mã cơ quan (tiêu đề X-Motcua-Sender của cơ quan đó)")
        parser.add_argument("--name", required=True, help="tên cơ quan")
        kind = parser.add_mutually_exclusive_group(required=True)
        kind.add_argument("--internal", action="store_true", help="xử lý trong motcua (hồ sơ con cho cán bộ)")
        kind.add_argument("--url", help="địa chỉ API của hệ thống ngoài")
        parser.add_argument("--fetch-jwks", action="store_true", help="lấy khóa công khai từ <url>/jwks")
        parser.add_argument("--jwk-file", help="tệp JWK/JWKS khóa công khai của cơ quan")
        parser.add_argument("--wait", type=float, default=15, help="số giây chờ hệ thống ngoài khởi động")

    def handle(self, *args, code, name, internal, url, fetch_jwks, jwk_file, wait, **options):
        values = {"name": name, "active": True}
        if internal:
            values.update(kind=ExchangePartner.Kind.INTERNAL, base_url="", public_jwk={})
        else:
            values.update(kind=ExchangePartner.Kind.HTTP, base_url=url.rstrip("/"))
            if jwk_file:
                with open(jwk_file, encoding="utf-8") as fh:
                    values["public_jwk"] = json.load(fh)
            elif fetch_jwks:
                values["public_jwk"] = self._fetch(url.rstrip("/") + "/jwks", wait)
        partner, created = ExchangePartner.objects.update_or_create(code=code, defaults=values)
        verb = "Đã thêm" if created else "Đã cập nhật"
        self.stdout.write(f"{verb} cơ quan liên thông {partner.code} ({partner.get_kind_display()}).")

    def _fetch(self, url: str, wait: float) -> dict:
        deadline = time.monotonic() + wait
        while True:
            try:
                with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - operator-given URL
                    return json.loads(response.read())
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"Không lấy được khóa công khai tại {url}: {exc}") from exc
                time.sleep(0.3)
