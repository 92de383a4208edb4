from django.db import migrations, models


def mark_every_report_due(apps, schema_editor):
    """Every report's kept matches are found by `hindsight worker` (related.store_best_match),
    in the background, so migrating takes no time: until then /related ranks as before."""
    apps.get_model("postmortems", "PostMortem").objects.update(best_match_due=True)


class Migration(migrations.Migration):
    dependencies = [
        ("postmortems", "0027_related_compared"),
    ]

    operations = [
        migrations.AddField(
            model_name="postmortem",
            name="related_kept",
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.RunPython(mark_every_report_due, migrations.RunPython.noop),
    ]
