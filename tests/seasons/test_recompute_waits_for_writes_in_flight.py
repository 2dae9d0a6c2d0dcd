"""A full recompute never moves the season's watermark past a progress write that has not committed yet.

Otherwise the next post-ETL catch-up (changed since the watermark) would skip that write's clusters
for good. The writer runs in another thread (its own connection), paused while its write is in flight.
"""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from hedge.challenges.etl import run_challenge_etl
from hedge.core import preview as preview_core
from seasons.admin import preview
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


def test_the_recompute_command_gives_up_after_progress_write_wait_saying_why(db, other_writer, settings):
    settings.PROGRESS_WRITE_WAIT = 0.2
    season = SeasonFactory(id="S1", starts_at=timezone.now() - datetime.timedelta(days=1))

    with pytest.raises(CommandError, match=r"still writing after 0\.2 s \(PROGRESS_WRITE_WAIT\)"):
        call_command("compute_season_points", "--season", "S1")

    assert Season.objects.get(pk=season.pk).points_synced_through is None


def test_a_preview_while_an_etl_run_writes_says_to_try_again(db, other_writer, monkeypatch):
    monkeypatch.setattr(preview_core, "TIMEOUT_SECONDS", 0.2)
    season = SeasonFactory.build(id="S1", starts_at=timezone.now() - datetime.timedelta(days=1))

    def write():
        season.save()
        return season

    with pytest.raises(preview.PreviewUnavailable, match="No preview now: a challenge ETL run or progress import"):
        preview.preview_season(write)

    assert not Season.objects.exists()
