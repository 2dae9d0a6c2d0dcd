# The watermark of the post-ETL hook: changes stamped at or before it are in the season's points.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("seasons", "0002_season_weights_weight_in_range"),
    ]

    operations = [
        migrations.AddField(
            model_name="season",
            name="points_synced_through",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Every progress change up to this moment is in the season's points.",
                null=True,
            ),
        ),
    ]
