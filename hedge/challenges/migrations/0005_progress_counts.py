# challenge_progress_counts: each challenge's number of progress rows, kept by triggers on
# challenge_progress in the writer's own transaction, so it always equals COUNT(*) of the challenge's
# rows as that transaction sees them (the top-N rankings read it as their count before the cut).
# PostgreSQL: statement triggers with transition tables (one upsert per statement and challenge, in
# challenge order so that two statements lock the counts they share in the same order; a statement that
# inserts nothing, as most ETL ticks' upserts, touches no count) and a row trigger for the rare update of
# a row's challenge. A writer holds its challenges' count rows until it commits: hedge's writers (ETL,
# import) already take turns on the progress-writer lock; an ad-hoc transaction writing several
# challenges in several statements can deadlock with another and is retried. The functions keep the
# search_path they were created with (pg_restore and other sessions run with their own). SQLite: row
# triggers; a migration that rebuilds challenge_progress there must create them again (the random
# sequence test in tests/challenges/test_progress_counts.py fails otherwise). The table is filled from the
# rows already there while they are locked against writes. OR REPLACE / IF EXISTS: the migration tests
# drop the tables and migrate again.

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = """
LOCK TABLE challenge_progress IN SHARE ROW EXCLUSIVE MODE;

CREATE OR REPLACE FUNCTION challenge_progress_counts_added() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO challenge_progress_counts AS n (challenge_id, progress_rows)
    SELECT a.challenge_id, COUNT(*) FROM added a GROUP BY a.challenge_id ORDER BY a.challenge_id
    ON CONFLICT (challenge_id) DO UPDATE SET progress_rows = n.progress_rows + excluded.progress_rows;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION challenge_progress_counts_removed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM 1 FROM challenge_progress_counts n
    WHERE n.challenge_id IN (SELECT r.challenge_id FROM removed r) ORDER BY n.challenge_id FOR UPDATE;
    UPDATE challenge_progress_counts n SET progress_rows = n.progress_rows - r.progress_rows
    FROM (SELECT r.challenge_id, COUNT(*) AS progress_rows FROM removed r GROUP BY r.challenge_id) r
    WHERE n.challenge_id = r.challenge_id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION challenge_progress_counts_moved() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO challenge_progress_counts (challenge_id, progress_rows) VALUES (NEW.challenge_id, 0)
    ON CONFLICT (challenge_id) DO NOTHING;
    PERFORM 1 FROM challenge_progress_counts n
    WHERE n.challenge_id IN (OLD.challenge_id, NEW.challenge_id) ORDER BY n.challenge_id FOR UPDATE;
    UPDATE challenge_progress_counts n
    SET progress_rows = n.progress_rows + CASE WHEN n.challenge_id = NEW.challenge_id THEN 1 ELSE -1 END
    WHERE n.challenge_id IN (OLD.challenge_id, NEW.challenge_id);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION challenge_progress_counts_emptied() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE challenge_progress_counts SET progress_rows = 0 WHERE progress_rows <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER challenge_progress_counts_insert AFTER INSERT ON challenge_progress
REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION challenge_progress_counts_added();
CREATE TRIGGER challenge_progress_counts_delete AFTER DELETE ON challenge_progress
REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION challenge_progress_counts_removed();
CREATE TRIGGER challenge_progress_counts_update AFTER UPDATE OF challenge_id ON challenge_progress
FOR EACH ROW WHEN (OLD.challenge_id IS DISTINCT FROM NEW.challenge_id)
EXECUTE FUNCTION challenge_progress_counts_moved();
CREATE TRIGGER challenge_progress_counts_truncate AFTER TRUNCATE ON challenge_progress
FOR EACH STATEMENT EXECUTE FUNCTION challenge_progress_counts_emptied();
"""

SQLITE = [
    """
CREATE TRIGGER challenge_progress_counts_insert AFTER INSERT ON challenge_progress BEGIN
    INSERT INTO challenge_progress_counts (challenge_id, progress_rows) VALUES (NEW.challenge_id, 1)
    ON CONFLICT (challenge_id) DO UPDATE SET progress_rows = progress_rows + 1;
END""",
    """
CREATE TRIGGER challenge_progress_counts_delete AFTER DELETE ON challenge_progress BEGIN
    UPDATE challenge_progress_counts SET progress_rows = progress_rows - 1 WHERE challenge_id = OLD.challenge_id;
END""",
    """
CREATE TRIGGER challenge_progress_counts_update AFTER UPDATE OF challenge_id ON challenge_progress
WHEN OLD.challenge_id IS NOT NEW.challenge_id BEGIN
    UPDATE challenge_progress_counts SET progress_rows = progress_rows - 1 WHERE challenge_id = OLD.challenge_id;
    INSERT INTO challenge_progress_counts (challenge_id, progress_rows) VALUES (NEW.challenge_id, 1)
    ON CONFLICT (challenge_id) DO UPDATE SET progress_rows = progress_rows + 1;
END""",
]

FILL = """
INSERT INTO challenge_progress_counts (challenge_id, progress_rows)
SELECT p.challenge_id, COUNT(*) FROM challenge_progress p GROUP BY p.challenge_id
"""

DROP = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS challenge_progress_counts_insert ON challenge_progress",
        "DROP TRIGGER IF EXISTS challenge_progress_counts_delete ON challenge_progress",
        "DROP TRIGGER IF EXISTS challenge_progress_counts_update ON challenge_progress",
        "DROP TRIGGER IF EXISTS challenge_progress_counts_truncate ON challenge_progress",
        "DROP FUNCTION IF EXISTS challenge_progress_counts_added()",
        "DROP FUNCTION IF EXISTS challenge_progress_counts_removed()",
        "DROP FUNCTION IF EXISTS challenge_progress_counts_moved()",
        "DROP FUNCTION IF EXISTS challenge_progress_counts_emptied()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS challenge_progress_counts_insert",
        "DROP TRIGGER IF EXISTS challenge_progress_counts_delete",
        "DROP TRIGGER IF EXISTS challenge_progress_counts_update",
    ],
}


def create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for statement in [POSTGRESQL] if schema_editor.connection.vendor == "postgresql" else SQLITE:
            cursor.execute(statement)
        cursor.execute(FILL)


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for statement in DROP[schema_editor.connection.vendor]:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("challenges", "0004_partition_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChallengeProgressCount",
            fields=[
                (
                    "challenge",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="challenges.challenge",
                    ),
                ),
                ("progress_rows", models.BigIntegerField(default=0)),
            ],
            options={
                "db_table": "challenge_progress_counts",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("progress_rows__gte", 0)), name="challenge_progress_counts_non_negative"
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
