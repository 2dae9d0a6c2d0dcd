"""Each published run records what it was computed from and the checksum of its entries, which anyone can
recompute from the API's entries (the format in the README)."""

import datetime
import hashlib
import random

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings

from leaderboards.checksum import entries_checksum
from leaderboards.models import LeaderboardEntry, LeaderboardRun
from leaderboards.services import generate_leaderboard_run
from tests.factories import ExclusionFactory, LeaderboardDefFactory, LeaderboardRunFactory, given_history

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOTHING = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256 of no bytes


def checksum_of(entries: list[dict]) -> str:
    """The README's recipe, from the API's JSON entries."""
    lines = "".join(f"{e['position']},{e['clusterId']},{e['rank']},{e['score']},{e['tiebreaker']}\n" for e in entries)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def test_the_checksum_is_recomputed_from_the_entries_the_api_serves(api, wins, streak):
    given_history(
        wins, {"alice": 10, "bob": 10, "zoë": 7, "dave": 5, "erin": 1}, at=datetime.datetime(2025, 1, 1, tzinfo=UTC)
    )
    given_history(streak, {"bob": 3, "alice": 1}, at=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    LeaderboardDefFactory(key="top_wins", challenge=wins, fallback=streak)
    run = generate_leaderboard_run("top_wins")

    body = api.get("/leaderboards/top_wins/latest", {"limit": 1000}).json()

    assert len(body["entries"]) == body["leaderboard"]["rowCount"] == 5
    assert body["leaderboard"]["checksum"] == checksum_of(body["entries"]) == run.checksum
    assert api.get(f"/leaderboards/top_wins/runs/{run.pk}").json()["leaderboard"]["checksum"] == run.checksum


def test_the_checksum_covers_every_entry_beyond_one_batch(wins, monkeypatch):
    from leaderboards import checksum

    monkeypatch.setattr(checksum, "BATCH_ROWS", 7)  # so the stream is read in several round trips
    given_history(wins, {f"c{n:03d}": n for n in range(1, 51)}, at=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=0)

    run = generate_leaderboard_run("lb")

    expected = "".join(f"{51 - n},c{n:03d},{51 - n},{n},0\n" for n in range(50, 0, -1))
    assert run.checksum == hashlib.sha256(expected.encode()).hexdigest()


@pytest.mark.parametrize("clusters", [14, 15, 23])  # two whole batches of 7 and none after; one line more; random
def test_the_checksum_equals_the_readmes_recipe_on_random_entries_in_batches(wins, streak, clusters, monkeypatch):
    from leaderboards import checksum

    monkeypatch.setattr(checksum, "BATCH_ROWS", 7)
    rng = random.Random(clusters)
    # Cluster ids are any text without NUL: commas, quotes, backslashes, tabs, newlines and non-ASCII go in as they are.
    alphabet = "ab,\\'\"\t\n é😀%_"
    ids = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) + f"#{n}" for n in range(clusters)}
    given_history(wins, {c: rng.randint(1, 9) for c in ids}, at=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    given_history(streak, {c: rng.randint(0, 3) for c in ids}, at=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    LeaderboardDefFactory(key="lb", challenge=wins, fallback=streak, max_entries=0)

    run = generate_leaderboard_run("lb")

    entries = LeaderboardEntry.objects.filter(run=run).order_by("position")
    expected = checksum_of(
        [
            {
                "position": e.position,
                "clusterId": e.cluster_id,
                "rank": e.rank,
                "score": e.score,
                "tiebreaker": e.tiebreaker,
            }
            for e in entries
        ]
    )
    assert len(entries) == clusters
    assert run.checksum == expected == entries_checksum(run.pk)


def test_a_run_without_entries_has_the_checksum_of_nothing(wins):
    LeaderboardDefFactory(key="lb", challenge=wins)

    assert generate_leaderboard_run("lb").checksum == NOTHING == entries_checksum(0)


def test_an_excluded_cluster_changes_the_checksum_as_it_changes_the_entries(wins):
    given_history(wins, {"alice": 2, "bob": 1}, at=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    LeaderboardDefFactory(key="lb", challenge=wins)
    ExclusionFactory(cluster_id="alice")

    run = generate_leaderboard_run("lb")

    assert run.checksum == hashlib.sha256(b"1,bob,1,1,0\n").hexdigest()


@override_settings(LEADERBOARD_TIMEZONE="Europe/Paris")
def test_a_run_records_the_definition_it_used_and_the_newest_history_it_read(wins, streak):
    moments = [datetime.datetime(2025, 3, d, 12, tzinfo=UTC) for d in (1, 2, 3)]
    given_history(wins, {"alice": 1}, at=moments[0])
    given_history(streak, {"alice": 4}, at=moments[1])
    LeaderboardDefFactory(key="lb", challenge=wins, fallback=streak, rank_mode="COMPETITION", max_entries=50)

    run = generate_leaderboard_run("lb", now=moments[1] + datetime.timedelta(hours=1))
    given_history(wins, {"alice": 2}, at=moments[2])  # after the run: not its input

    run.refresh_from_db()
    assert run.definition_snapshot == {
        "key": "lb",
        "challengeCode": "wins",
        "fallbackChallengeCode": "streak",
        "timeWindow": "ALL_TIME",
        "rankMode": "COMPETITION",
        "maxEntries": 50,
        "timezone": "Europe/Paris",
    }
    assert run.input_watermark == moments[1]


def test_a_run_before_any_history_has_no_watermark(wins):
    LeaderboardDefFactory(key="lb", challenge=wins)

    assert generate_leaderboard_run("lb").input_watermark is None


def test_the_database_refuses_a_published_run_without_a_checksum(wins):
    definition = LeaderboardDefFactory(key="lb", challenge=wins)

    with pytest.raises(IntegrityError, match="checksum"), transaction.atomic():
        LeaderboardRunFactory(leaderboard=definition, status="COMPLETE", checksum="")
    LeaderboardRunFactory(leaderboard=definition, status="FAILED", checksum="")  # never published: none needed
    assert list(LeaderboardRun.objects.values_list("status", flat=True)) == ["FAILED"]
