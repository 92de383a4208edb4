from django.db import migrations, models

# As the write path judges it (services._changes_text) when this migration was written: what
# may change in an action item without changing the report's text.
_FOLLOW_THROUGH = {"id", "status", "owner", "due_date", "tracker_url", "completed_at"}


def _changes_text(changes: dict) -> bool:
    if any(name not in ("status", "actionItems") for name in changes):
        return True
    items = changes.get("actionItems")
    if items is None:
        return False
    old, new = items.get("old") or [], items.get("new") or []
    if [i.get("id") for i in old] != [i.get("id") for i in new]:
        return True
    return any(
        {k: v for k, v in a.items() if k not in _FOLLOW_THROUGH}
        != {k: v for k, v in b.items() if k not in _FOLLOW_THROUGH}
        for a, b in zip(old, new, strict=True)
    )


def fill_text_version(apps, schema_editor):
    """From the history: the last version whose change touched the report's text."""
    PostMortem = apps.get_model("postmortems", "PostMortem")
    Revision = apps.get_model("postmortems", "Revision")
    latest: dict[str, int] = {}
    rows = Revision.objects.order_by("postmortem_id", "version").values_list(
        "postmortem_id", "version", "changes"
    )
    for postmortem_id, version, changes in rows.iterator(chunk_size=2000):
        if version > 1 and _changes_text(changes or {}):
            latest[postmortem_id] = version
    for postmortem_id, version in latest.items():
        PostMortem.objects.filter(pk=postmortem_id).update(text_version=version)


class Migration(migrations.Migration):
    dependencies = [
        ("postmortems", "0007_review_round"),
    ]

    operations = [
        migrations.AddField(
            model_name="postmortem",
            name="text_version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.RunPython(fill_text_version, migrations.RunPython.noop),
    ]
