import django.db.models.deletion
from django.db import migrations, models

# The season_id indexes Django created with the two foreign keys (and their LIKE twins on PostgreSQL): the unique
# (season_id, cluster_id) indexes serve every lookup by season. Dropped by name, so the foreign keys stay as they are
# (AlterField would drop them and validate them again: a scan of season_progress under lock).
INDEXES = {
    "season_progress": "season_progress_season_id_c6d67c18",
    "season_progress_errors": "season_progress_errors_season_id_eb0fca8b",
}


def drop_indexes(apps, schema_editor):
    quote = schema_editor.quote_name
    for name in INDEXES.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name + '_like')}")


def create_indexes(apps, schema_editor):
    quote = schema_editor.quote_name
    for table, name in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(table)} (season_id)")
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE INDEX {quote(name + '_like')} ON {quote(table)} (season_id varchar_pattern_ops)")


class Migration(migrations.Migration):
    dependencies = [
        ("seasons", "0010_season_points_stale_since"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="seasonprogress",
                    name="season",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="progress",
                        to="seasons.season",
                    ),
                ),
                migrations.AlterField(
                    model_name="seasonprogresserror",
                    name="season",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="progress_errors",
                        to="seasons.season",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
