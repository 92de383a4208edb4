from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("postmortems", "0004_template"),
    ]

    operations = [
        migrations.AddField(
            model_name="actionitem",
            name="tracker_url",
            field=models.CharField(blank=True, max_length=2000, null=True),
        ),
    ]
