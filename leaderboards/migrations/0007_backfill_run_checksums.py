"""Runs published before runs had checksums get theirs; superseded final runs name their replacement.

Self-contained on purpose (a migration is history): the checksum format is the one in
leaderboards/checksum.py, streamed run by run.
"""

import hashlib

from django.db import migrations

_LINES = """
SELECT CAST(e.position AS TEXT) || ',' || e.cluster_id || ',' || CAST(e.rank AS TEXT) || ','
       || CAST(e.score AS TEXT) || ',' || CAST(e.tiebreaker AS TEXT)
FROM leaderboard_entries e
WHERE e.run_id = %s
ORDER BY e.position
"""


def backfill(apps, schema_editor):
    LeaderboardRun = apps.get_model("leaderboards", "LeaderboardRun")
    connection = schema_editor.connection
    published = LeaderboardRun.objects.filter(status__in=["COMPLETE", "SUPERSEDED"], checksum="")
    for run_id in published.values_list("pk", flat=True).iterator():
        digest = hashlib.sha256()
        with connection.chunked_cursor() as cursor:
            cursor.execute(_LINES, [run_id])
            while rows := cursor.fetchmany(10_000):
                digest.update("".join(f"{line}\n" for (line,) in rows).encode())
        LeaderboardRun.objects.filter(pk=run_id).update(checksum=digest.hexdigest())
    for old in LeaderboardRun.objects.filter(status="SUPERSEDED", superseded_by__isnull=True):
        replacement = (
            LeaderboardRun.objects.filter(
                leaderboard_id=old.leaderboard_id,
                period_start=old.period_start,
                period_end=old.period_end,
                is_final=True,
                status__in=["COMPLETE", "SUPERSEDED"],
                pk__gt=old.pk,
            )
            .order_by("pk")
            .first()
        )
        if replacement is not None:
            LeaderboardRun.objects.filter(pk=old.pk).update(superseded_by=replacement)


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboards", "0006_trust"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
