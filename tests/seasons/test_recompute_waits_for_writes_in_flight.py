"""A full recompute never moves the season's watermark past a progress write that has not committed yet.

Otherwise the next post-ETL catch-up (changed since the watermark) would skip that write's clusters
for good. The writer runs in another thread (its own connection), paused while its write is in flight.
"""

import datetime

import pytest

from hedge.challenges.etl import run_challenge_etl
from seasons.models import Season, SeasonProgress
from seasons.services import recompute_changed_since, recompute_season
from tests.factories import ChallengeFactory, SeasonChallengeWeightFactory, SeasonFactory, given_history
from tests.writes_in_flight import BLOCKED_FOR, InThread

pytestmark = pytest.mark.django_db(transaction=True)

UTC = datetime.UTC
START = datetime.datetime(2025, 12, 1, tzinfo=UTC)
T0 = START + datetime.timedelta(days=1)  # the ETL run starts and stamps its rows
T1 = T0 + datetime.timedelta(minutes=1)  # staff recompute the season meanwhile
T2 = T0 + datetime.timedelta(hours=1)  # the next ETL run's hook


@pytest.mark.parametrize("scoring", ["LIFETIME", "GAINS"])
def test_a_recompute_during_an_etl_run_waits_so_the_next_catch_up_never_skips_its_rows(pause, scoring):
    season = SeasonFactory(id="S1", starts_at=START, ends_at=START + datetime.timedelta(days=30), scoring=scoring)
    first = ChallengeFactory(code="a", metric_source="arena")
    second = ChallengeFactory(code="k", metric_source="pvp")
    for challenge in (first, second):
        SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=2)
        given_history(challenge, {"old": 1}, at=START - datetime.timedelta(days=1))  # history began before
    committed = []

    def pause_after_the_first_challenge(outcome):
        committed.append(outcome.code)
        if len(committed) == 1:
            pause()

    # Its own hook does nothing: the season is not active at the wall clock (as when the hook failed).
    writer = InThread(
        lambda: run_challenge_etl(
            extractors={"arena": lambda c: iter([("K0", 1)]), "pvp": lambda c: iter([("K1", 7)])},
            now=T0,
            on_outcome=pause_after_the_first_challenge,
        )
    )
    pause.wait_reached()

    staff = InThread(lambda: recompute_season(Season.objects.get(pk="S1"), now=T1))
    waited = not staff.finished.wait(BLOCKED_FOR)
    pause.release()
    writer.join()
    staff.join()
    recompute_changed_since(Season.objects.get(pk="S1"), T2, now=T2)

    points = dict(SeasonProgress.objects.filter(season=season).values_list("cluster_id", "points"))
    assert points.get("K1") == 14
    assert waited, "the recompute did not wait for the ETL run in flight"
    assert Season.objects.get(pk="S1").points_synced_through == T2
