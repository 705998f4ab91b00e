"""Load the shipped default templates (motcua/notifications/defaults/) as rows an administrator can edit.

Only missing rows are created: a template already edited is left alone. The files stay the fallback."""

from django.db import migrations


def load(apps, schema_editor):
    from motcua.notifications.render import default_rows

    Template = apps.get_model("notifications", "NotificationTemplate")
    existing = set(Template.objects.filter(procedure_code="").values_list("event", "channel"))
    Template.objects.bulk_create(
        [Template(procedure_code="", **row) for row in default_rows() if (row["event"], row["channel"]) not in existing]
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
