from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "motcua.audit"
    verbose_name = "Nhật ký kiểm toán"
