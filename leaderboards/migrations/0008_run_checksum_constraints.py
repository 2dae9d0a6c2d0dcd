from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboards", "0007_backfill_run_checksums"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="leaderboardrun",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "SUPERSEDED"), ("superseded_by__isnull", False)),
                    models.Q(models.Q(("status", "SUPERSEDED"), _negated=True), ("superseded_by__isnull", True)),
                    _connector="OR",
                ),
                name="leaderboard_runs_superseded_by_when_superseded",
            ),
        ),
        migrations.AddConstraint(
            model_name="leaderboardrun",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["COMPLETE", "SUPERSEDED"]), _negated=True),
                    models.Q(("checksum", ""), _negated=True),
                    _connector="OR",
                ),
                name="leaderboard_runs_checksum_when_published",
            ),
        ),
    ]
