"""Every migration that adds a constraint, makes a column NOT NULL or moves data runs on a populated database.

Each test migrates an empty database to the migration before (django-test-migrations' `migrator`),
writes rows as that schema had them (through the historical models), applies the migration and looks
at the rows. The package marks these tests `migration_test`; they run with the rest of the suite.
"""

import datetime
import hashlib

import pytest
from django.core.management.base import CommandError
from django.db import IntegrityError, connection

T0 = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def challenge(apps, code="wins"):
    Category = apps.get_model("challenges", "ChallengeCategory")
    Challenge = apps.get_model("challenges", "Challenge")
    category, _ = Category.objects.get_or_create(key="pvp", defaults={"name": "PvP"})
    return Challenge.objects.create(code=code, name=code, category=category, metric_source="src", metric_key=code)


def published_run(apps, definition, wins, *, status="COMPLETE", **fields):
    Run = apps.get_model("leaderboards", "LeaderboardRun")
    return Run.objects.create(
        leaderboard=definition,
        challenge=wins,
        period_start=T0,
        period_end=T0 + 24 * HOUR,
        status=status,
        **{"finished_at": T0 + 25 * HOUR, **fields},
    )


def leaderboard(apps, wins, key="top_wins"):
    Def = apps.get_model("leaderboards", "LeaderboardDef")
    return Def.objects.create(
        key=key, name="Top wins", category_key="pvp", metric_source="src", metric_key="wins", time_window="DAILY"
    )


# --- hedge.challenges -------------------------------------------------------------------------------


def test_challenges_0002_bounds_the_values_of_existing_progress(migrator):
    old = migrator.apply_initial_migration(("challenges", "0001_initial"))
    wins = challenge(old.apps)
    old.apps.get_model("challenges", "ChallengeProgress").objects.create(
        challenge=wins, cluster_id="alice", value=10**12, updated_at=T0
    )

    new = migrator.apply_tested_migration(("challenges", "0002_progress_value_bound"))

    assert list(new.apps.get_model("challenges", "ChallengeProgress").objects.values_list("value", flat=True)) == [
        10**12
    ]


def test_challenges_0002_names_a_value_above_the_bound_instead_of_a_bare_constraint_error(migrator):
    old = migrator.apply_initial_migration(("challenges", "0001_initial"))
    wins = challenge(old.apps)
    progress = old.apps.get_model("challenges", "ChallengeProgress")
    progress.objects.create(challenge=wins, cluster_id="alice", value=10**12 + 1, updated_at=T0)

    with pytest.raises(RuntimeError, match="cluster 'alice'"):
        migrator.apply_tested_migration(("challenges", "0002_progress_value_bound"))

    progress.objects.update(value=10**12)  # corrected, it migrates
    migrator.apply_tested_migration(("challenges", "0002_progress_value_bound"))


def test_challenges_0004_partitions_history_by_month_keeping_every_row_and_id(migrator):
    old = migrator.apply_initial_migration(("challenges", "0003_catalogue_history"))
    wins, losses = challenge(old.apps), challenge(old.apps, "losses")
    history = old.apps.get_model("challenges", "ChallengeProgressHistory")
    history.objects.bulk_create(
        history(
            challenge=(wins, losses)[day % 2], cluster_id=f"c{day % 7}", value=day, recorded_at=T0 - day * 24 * HOUR
        )
        for day in range(400)
    )
    before = sorted(history.objects.values_list("id", "challenge_id", "cluster_id", "value", "recorded_at"))

    new = migrator.apply_tested_migration(("challenges", "0004_partition_history"))

    history = new.apps.get_model("challenges", "ChallengeProgressHistory")
    assert sorted(history.objects.values_list("id", "challenge_id", "cluster_id", "value", "recorded_at")) == before
    later = history.objects.create(challenge_id=wins.pk, cluster_id="c0", value=1, recorded_at=T0 + 400 * 24 * HOUR)
    assert later.pk == max(row[0] for row in before) + 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, COUNT(h.id) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "LEFT JOIN challenge_progress_history h ON h.tableoid = c.oid "
                "WHERE i.inhparent = 'challenge_progress_history'::regclass GROUP BY c.relname"
            )
            partitions = dict(cursor.fetchall())
        # 399 days back from T0 = 2026-11-01: September 2025 .. October 2026, then the months ahead of today.
        assert partitions["challenge_progress_history_2025_09"] == 3  # the 28th, 29th and 30th
        assert partitions["challenge_progress_history_2026_10"] == 31
        assert partitions["challenge_progress_history_default"] == 1  # 2027-12-06 lies beyond the months made ahead
        assert sum(partitions.values()) == 401


def test_challenges_0005_counts_the_progress_rows_already_there_and_every_write_after(migrator):
    old = migrator.apply_initial_migration(("challenges", "0004_partition_history"))
    wins, losses, idle = challenge(old.apps), challenge(old.apps, "losses"), challenge(old.apps, "idle")
    progress = old.apps.get_model("challenges", "ChallengeProgress")
    progress.objects.bulk_create(
        progress(challenge=(wins, losses)[n % 3 == 0], cluster_id=f"c{n}", updated_at=T0) for n in range(10)
    )

    new = migrator.apply_tested_migration(("challenges", "0005_progress_counts"))

    counts = new.apps.get_model("challenges", "ChallengeProgressCount").objects
    assert dict(counts.values_list("challenge_id", "progress_rows")) == {wins.pk: 6, losses.pk: 4}
    new.apps.get_model("challenges", "ChallengeProgress").objects.create(
        challenge_id=idle.pk, cluster_id="c0", updated_at=T0
    )
    assert counts.get(challenge_id=idle.pk).progress_rows == 1


# --- leaderboards -----------------------------------------------------------------------------------


def test_leaderboards_0003_moves_fallback_values_out_of_the_payload(migrator):
    old = migrator.apply_initial_migration(("leaderboards", "0002_run_is_backfill"))
    wins = challenge(old.apps)
    run = published_run(old.apps, leaderboard(old.apps, wins), wins)
    Entry = old.apps.get_model("leaderboards", "LeaderboardEntry")
    Entry.objects.create(run=run, cluster_id="alice", rank=1, position=1, score=9, payload={"fallbackValue": 4})
    Entry.objects.create(run=run, cluster_id="bob", rank=2, position=2, score=3, payload={})

    new = migrator.apply_tested_migration(("leaderboards", "0003_entry_fallback_value"))

    entries = new.apps.get_model("leaderboards", "LeaderboardEntry").objects.order_by("position")
    assert list(entries.values_list("cluster_id", "fallback_value")) == [("alice", 4), ("bob", None)]


def test_leaderboards_0004_and_0005_constrain_existing_runs(migrator):
    old = migrator.apply_initial_migration(("leaderboards", "0003_entry_fallback_value"))
    wins = challenge(old.apps)
    definition = leaderboard(old.apps, wins)
    published_run(old.apps, definition, wins)
    published_run(old.apps, definition, wins, status="FAILED", error="boom")
    published_run(old.apps, definition, wins, status="PENDING", finished_at=None)

    new = migrator.apply_tested_migration(("leaderboards", "0005_exclusions_previous_rank"))

    runs = new.apps.get_model("leaderboards", "LeaderboardRun").objects.order_by("pk")
    assert list(runs.values_list("status", "is_final", "exclusions_applied")) == [
        ("COMPLETE", False, 0),
        ("FAILED", False, 0),
        ("PENDING", False, 0),
    ]


def test_leaderboards_0006_attributes_exclusions_written_without_an_author(migrator):
    old = migrator.apply_initial_migration(("leaderboards", "0005_exclusions_previous_rank"))
    User = old.apps.get_model("auth", "User")
    staff = User.objects.create(username="staff", is_staff=True)
    Exclusion = old.apps.get_model("leaderboards", "Exclusion")
    Exclusion.objects.create(cluster_id="alice", reason="Botting.")  # 0005 let the author be empty
    Exclusion.objects.create(cluster_id="bob", reason="Ring.", created_by=staff)

    new = migrator.apply_tested_migration(("leaderboards", "0006_trust"))

    exclusions = new.apps.get_model("leaderboards", "Exclusion").objects.order_by("cluster_id")
    assert list(exclusions.values_list("cluster_id", "created_by__username", "created_by__is_active")) == [
        ("alice", "exclusions-before-0006", False),
        ("bob", "staff", True),
    ]
    legacy = new.apps.get_model("auth", "User").objects.get(username="exclusions-before-0006")
    assert legacy.password.startswith("!")  # unusable: the account never logs in


def test_leaderboards_0007_and_0008_backfill_checksums_and_replacements_before_requiring_them(migrator):
    old = migrator.apply_initial_migration(("leaderboards", "0006_trust"))
    wins = challenge(old.apps)
    definition = leaderboard(old.apps, wins)
    replaced = published_run(old.apps, definition, wins, status="SUPERSEDED", is_final=True)
    final = published_run(old.apps, definition, wins, is_final=True)
    Entry = old.apps.get_model("leaderboards", "LeaderboardEntry")
    Entry.objects.create(run=final, cluster_id="alice", rank=1, position=1, score=9)

    new = migrator.apply_tested_migration(("leaderboards", "0008_run_checksum_constraints"))

    Run = new.apps.get_model("leaderboards", "LeaderboardRun")
    replaced, final = Run.objects.get(pk=replaced.pk), Run.objects.get(pk=final.pk)
    assert replaced.superseded_by_id == final.pk
    assert final.checksum == hashlib.sha256(b"1,alice,1,9,0\n").hexdigest()
    assert replaced.checksum == hashlib.sha256(b"").hexdigest()


def test_leaderboards_0009_keeps_existing_leaderboards_and_their_runs(migrator):
    old = migrator.apply_initial_migration(("leaderboards", "0008_run_checksum_constraints"))
    wins = challenge(old.apps)
    published_run(old.apps, leaderboard(old.apps, wins), wins, checksum="x" * 64)

    new = migrator.apply_tested_migration(("leaderboards", "0009_season_points_boards"))

    assert new.apps.get_model("leaderboards", "LeaderboardRun").objects.get().challenge_id == wins.pk


# --- seasons ----------------------------------------------------------------------------------------


def season(apps, season_id="S1", **fields):
    return apps.get_model("seasons", "Season").objects.create(
        id=season_id, name=season_id, starts_at=T0, ends_at=T0 + 30 * 24 * HOUR, **fields
    )


def test_seasons_0002_bounds_existing_weights(migrator):
    old = migrator.apply_initial_migration(("seasons", "0001_initial"))
    weight = old.apps.get_model("seasons", "SeasonChallengeWeight")
    weight.objects.create(season=season(old.apps), challenge=challenge(old.apps), weight=1_000_000)

    new = migrator.apply_tested_migration(("seasons", "0002_season_weights_weight_in_range"))

    assert list(new.apps.get_model("seasons", "SeasonChallengeWeight").objects.values_list("weight", flat=True)) == [
        1_000_000
    ]


def test_seasons_0002_stops_on_weights_above_the_bound_naming_the_rows(migrator):
    old = migrator.apply_initial_migration(("seasons", "0001_initial"))
    weight = old.apps.get_model("seasons", "SeasonChallengeWeight")
    s1 = season(old.apps)
    weight.objects.create(season=s1, challenge=challenge(old.apps, "wins"), weight=2_000_000)
    weight.objects.create(season=s1, challenge=challenge(old.apps, "kills"), weight=5)
    weight.objects.create(season=season(old.apps, "S2"), challenge_id="kills", weight=1_000_001)

    with pytest.raises(CommandError) as refused:
        migrator.apply_tested_migration(("seasons", "0002_season_weights_weight_in_range"))

    assert str(refused.value).startswith(
        "2 season weight(s) are above 1,000,000, the bound this migration adds: "
        "season 'S1' challenge 'wins': 2,000,000; season 'S2' challenge 'kills': 1,000,001."
    )
    assert not isinstance(refused.value, IntegrityError)
    weight.objects.filter(weight__gt=1_000_000).update(weight=1_000_000)  # corrected, it migrates
    migrator.apply_tested_migration(("seasons", "0002_season_weights_weight_in_range"))


def test_seasons_0004_keeps_existing_seasons_on_lifetime_scoring(migrator):
    old = migrator.apply_initial_migration(("seasons", "0003_season_points_synced_through"))
    season(old.apps)

    new = migrator.apply_tested_migration(("seasons", "0004_scoring_and_final"))

    assert new.apps.get_model("seasons", "Season").objects.get().scoring == "LIFETIME"


def test_seasons_0006_and_0007_constrain_existing_seasons_and_date_their_points(migrator):
    old = migrator.apply_initial_migration(("seasons", "0005_progress_errors"))
    s1 = season(old.apps)
    Progress = old.apps.get_model("seasons", "SeasonProgress")
    Progress.objects.create(season=s1, cluster_id="alice", points=30, level=0, updated_at=T0 + HOUR)
    Progress.objects.create(season=s1, cluster_id="bob", points=0, level=0, updated_at=T0 + 2 * HOUR)

    new = migrator.apply_tested_migration(("seasons", "0007_progress_points_reached_at"))

    assert new.apps.get_model("seasons", "Season").objects.get().claims_close_at is None
    rows = new.apps.get_model("seasons", "SeasonProgress").objects.order_by("cluster_id")
    assert list(rows.values_list("cluster_id", "points_reached_at")) == [("alice", T0 + HOUR), ("bob", None)]


def test_seasons_0009_checks_curves_written_before_it(migrator):
    old = migrator.apply_initial_migration(("seasons", "0008_history"))
    Level = old.apps.get_model("seasons", "SeasonLevel")
    s1 = season(old.apps)
    Level.objects.create(season=s1, level=1, points_required=100)
    Level.objects.create(season=s1, level=2, points_required=300)

    new = migrator.apply_tested_migration(("seasons", "0009_level_curve_strictly_increasing"))

    levels = new.apps.get_model("seasons", "SeasonLevel").objects.order_by("level")
    assert list(levels.values_list("level", "points_required")) == [(1, 100), (2, 300)]


# --- prizes -----------------------------------------------------------------------------------------


def test_prizes_0002_keeps_board_prize_rows_and_their_awards_valid(migrator):
    old = migrator.apply_initial_migration(("prizes", "0001_initial"))
    board = leaderboard(old.apps, challenge(old.apps))
    prize = old.apps.get_model("prizes", "LeaderboardPrize").objects.create(
        leaderboard=board, rank_from=1, rank_to=1, name="Gold", kind="token"
    )
    old.apps.get_model("prizes", "LeaderboardAward").objects.create(
        run_id=1, leaderboard_key=board.key, period_start=T0, period_end=T0 + HOUR, cluster_id="c1", rank=1,
        position=1, score=5, prize=prize, name="Gold", kind="token", quantity=1, created_at=T0,
    )  # fmt: skip

    new = migrator.apply_tested_migration(("prizes", "0002_league_tier_prizes"))

    assert new.apps.get_model("prizes", "LeaderboardPrize").objects.get().league_tier_id is None
    assert new.apps.get_model("prizes", "LeaderboardAward").objects.get().league_key is None
