import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def bind_contributors(apps, schema_editor):
    """Bind each contributor to the one user whose name or email it is, as the write path
    does from now on. One naming no user, or several (a collision `hindsight migrate`
    reports), is left unbound: it grants nothing."""
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Contributor = apps.get_model("postmortems", "Contributor")
    holders: dict[str, set[int]] = {}
    for pk, username, email in User.objects.values_list("pk", "username", "email"):
        for identity in {username.lower(), (email or "").lower()} - {""}:
            holders.setdefault(identity, set()).add(pk)
    keys = Contributor.objects.values_list("key", flat=True).distinct()
    for key in list(keys):
        users = holders.get(key, set())
        if len(users) == 1:
            Contributor.objects.filter(key=key).update(user_id=next(iter(users)))


class Migration(migrations.Migration):
    dependencies = [
        ("postmortems", "0008_text_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="contributor",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="contributor",
            index=models.Index(fields=["user", "postmortem"], name="contributor_user_idx"),
        ),
        migrations.RunPython(bind_contributors, migrations.RunPython.noop),
    ]
