# The level curve as a whole (levels 1..n, each needing more points than the one before) is checked
# by the database on PostgreSQL: a deferred constraint trigger looks, at commit, at the levels next
# to every row inserted, updated or deleted, so a curve is replaced or edited in any order within a
# transaction. SQLite has no deferrable triggers: there seasons.levels.replace_level_curve and the
# admin's formset check it (as they do on PostgreSQL, before the database would refuse).
# OR REPLACE / IF EXISTS: a database whose tables were dropped and migrated again (the migration
# tests do this) still has the function.

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION season_levels_check_curve() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched record;
    broken integer;
BEGIN
    FOR touched IN
        SELECT t.season_id, t.level
        FROM (VALUES (OLD.season_id, OLD.level), (NEW.season_id, NEW.level)) t (season_id, level)
        WHERE t.level IS NOT NULL
    LOOP
        -- The row at this level and the one after it each need the level before it, with fewer points.
        -- Uses index: season_levels_unique_level (season_id, level).
        SELECT l.level INTO broken
        FROM season_levels l
        WHERE l.season_id = touched.season_id
          AND l.level BETWEEN GREATEST(touched.level, 2) AND touched.level + 1
          AND NOT EXISTS (
              SELECT 1 FROM season_levels p
              WHERE p.season_id = l.season_id AND p.level = l.level - 1 AND p.points_required < l.points_required
          )
        ORDER BY l.level
        LIMIT 1;
        IF broken IS NOT NULL THEN
            RAISE EXCEPTION 'season % level %: the levels of a curve run 1..n, each needing more points than the one before',
                touched.season_id, broken
                USING ERRCODE = 'check_violation', CONSTRAINT = 'season_levels_strictly_increasing';
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER season_levels_strictly_increasing
AFTER INSERT OR UPDATE OR DELETE ON season_levels
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION season_levels_check_curve();
"""

DROP = """
DROP TRIGGER IF EXISTS season_levels_strictly_increasing ON season_levels;
DROP FUNCTION IF EXISTS season_levels_check_curve();
"""


def _run(schema_editor, statement: str) -> None:
    # A cursor without parameters: the function's RAISE format has its own % placeholders.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(statement)


def create(apps, schema_editor):
    _run(schema_editor, CREATE)


def drop(apps, schema_editor):
    _run(schema_editor, DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("seasons", "0008_history"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
