"""Exclusions added and lifted while a generation runs: the run applies one consistent set, the one active
when it started, and records exactly that set (PostgreSQL: real threads, each with its own connection)."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from leaderboards.models import Exclusion, LeaderboardDef, LeaderboardRun, RunExclusion, RunStatus
from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeFactory, ExclusionFactory, LeaderboardDefFactory, StaffUserFactory, given_progress
from tests.helpers import standings

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a generation waiting on PostgreSQL's row lock"),
]


def wait_for(condition, *, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the generation never got as far as waiting for the lock"
        time.sleep(0.01)


def test_a_run_applies_the_exclusions_active_when_it_started_whatever_changes_while_it_runs():
    staff = StaffUserFactory(username="moderator")
    wins = ChallengeFactory(code="wins")
    given_progress(wins, {"alice": 9, "bob": 8, "carol": 7, "dave": 6})
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=0)
    bob = ExclusionFactory(cluster_id="bob", created_by=staff)
    outcome = {}

    def generate():
        try:
            outcome["run"] = generate_leaderboard_run("lb")
        finally:
            connection.close()

    generation = threading.Thread(target=generate)
    with transaction.atomic():
        # Hold the definition's lock: the generation starts (its PROCESSING run is committed) and waits.
        list(LeaderboardDef.objects.select_for_update(no_key=True).filter(key="lb"))
        generation.start()
        wait_for(lambda: LeaderboardRun.objects.filter(status=RunStatus.PROCESSING).exists())
        # Meanwhile staff exclude alice and lift bob's exclusion; both commit before the generation ranks.
        alice = ExclusionFactory(cluster_id="alice", created_by=staff, created_at=timezone.now())
        Exclusion.objects.filter(pk=bob.pk).update(lifted_at=timezone.now(), lifted_by=staff)
    generation.join()

    run = outcome["run"]
    assert [row[2] for row in standings(run)] == ["alice", "carol", "dave"]  # as when it started
    assert list(RunExclusion.objects.filter(run=run).values_list("exclusion_id", flat=True)) == [bob.pk]
    assert run.exclusions_applied == 1
    # The next run applies the new set.
    assert [row[2] for row in standings(generate_leaderboard_run("lb"))] == ["bob", "carol", "dave"]
    assert Exclusion.objects.filter(pk=alice.pk).exists()
