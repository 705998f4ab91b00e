"""Create the development PKI (idempotent): the root CA, and optionally agency certificates and an NSS database
for `pdfsig`. `make run` calls it; production uses MOTCUA_SIGNING_KEYS instead (docs/results.md)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from motcua.results import pki


class Command(BaseCommand):
    help = "Tạo hạ tầng khóa phát triển (CA gốc, chứng thư số của cơ quan) để ký kết quả điện tử."

    def add_arguments(self, parser):
        parser.add_argument("--agency", action="append", default=[], help="mã cơ quan cần cấp chứng thư ngay")
        parser.add_argument("--nssdb", type=Path, help="tạo CSDL NSS tin cậy CA gốc (cho pdfsig -nssdir sql:DIR)")

    def handle(self, *args, agency: list[str], nssdb: Path | None, **options) -> None:
        if not settings.MOTCUA_DEV_PKI:
            self.stdout.write("MOTCUA_DEV_PKI=0: dùng chứng thư số thật cấu hình trong MOTCUA_SIGNING_KEYS.")
            return
        pki.passphrase()
        pki.ensure_root()
        cert_path, _key_path = pki.root_paths()
        self.stdout.write(f"CA gốc phát triển: {cert_path}")
        self.stdout.write(f"  SHA-256: {pki.root_fingerprint()}")
        if agency:
            from motcua.catalog.models import Agency

            for code in agency:
                found = Agency.objects.filter(code=code).first()
                if found is None:
                    raise CommandError(f"Không có cơ quan mã {code}.")
                identity = pki.identity_for(found)
                self.stdout.write(f"  {code}: {identity.subject} (SHA-256 {identity.fingerprint})")
        if nssdb is not None:
            try:
                pki.make_nss_db(nssdb)
            except (FileNotFoundError, OSError) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"CSDL NSS: pdfsig -nssdir sql:{nssdb} <tệp.pdf>")
