import datetime
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from seasons.models import SeasonProgress
from tests.factories import ChallengeProgressFactory, SeasonFactory, SeasonProgressFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("compute_season_points", *args, stdout=out)
    return out.getvalue()


def test_recomputes_every_cluster_of_the_active_season_and_says_what_changed(season, weighted):
    ChallengeProgressFactory(cluster_id="c1", challenge=weighted["alpha"], value=1500)
    ChallengeProgressFactory(cluster_id="c2", challenge=weighted["beta"], value=10)

    output = run()

    assert re.fullmatch(
        r"season S1-TEST: 2 clusters computed, 2 inserted, 0 updated, 0 unchanged in \d+\.\d\ds\.\n", output
    )
    assert dict(SeasonProgress.objects.values_list("cluster_id", "points")) == {"c1": 1500, "c2": 20}
    assert "2 clusters computed, 0 inserted, 0 updated, 2 unchanged" in run()


def test_recomputes_only_the_clusters_given(season, weighted):
    ChallengeProgressFactory(cluster_id="c1", challenge=weighted["gamma"], value=5)
    ChallengeProgressFactory(cluster_id="c2", challenge=weighted["gamma"], value=5)

    output = run("--cluster", "c1", "--cluster", "newcomer")

    assert "2 clusters computed, 2 inserted" in output
    assert dict(SeasonProgress.objects.values_list("cluster_id", "points")) == {"c1": 15, "newcomer": 0}


def test_recomputes_the_season_named(weighted):
    other = SeasonFactory(id="S2-TEST", starts_at=timezone.now() - datetime.timedelta(days=1))
    other.weights.create(challenge=weighted["alpha"], weight=10)
    ChallengeProgressFactory(cluster_id="c1", challenge=weighted["alpha"], value=7)

    assert run("--season", "S2-TEST").startswith("season S2-TEST: 1 clusters computed, 1 inserted")
    assert list(SeasonProgress.objects.values_list("season_id", "points")) == [("S2-TEST", 70)]


def test_a_season_that_has_not_started_is_refused_and_gets_no_progress(weighted):
    upcoming = SeasonFactory(id="S3-TEST", starts_at=timezone.now() + datetime.timedelta(days=30), scoring="GAINS")
    upcoming.weights.create(challenge=weighted["alpha"], weight=10)
    ChallengeProgressFactory(cluster_id="c1", challenge=weighted["alpha"], value=7)

    with pytest.raises(CommandError, match=r"season S3-TEST starts at .*; it has no progress before then"):
        run("--season", "S3-TEST")
    assert not SeasonProgress.objects.exists()


def test_no_active_season_is_a_clear_error():
    SeasonFactory(is_active=False)

    with pytest.raises(CommandError, match=re.escape("No season is active; name one with --season ID.")):
        run()


def test_an_unknown_season_is_a_clear_error(season):
    with pytest.raises(CommandError, match=re.escape("Season 'S9' does not exist.")):
        run("--season", "S9")


def test_a_season_that_has_ended_is_finalized_once_then_refused_and_keeps_its_progress():
    now = timezone.now()
    SeasonFactory(id="S0", starts_at=now - datetime.timedelta(days=60), ends_at=now - datetime.timedelta(days=1))
    SeasonProgressFactory(season_id="S0", cluster_id="c1", points=40)

    assert "1 clusters computed, 0 inserted, 1 updated" in run("--season", "S0")  # no weights: 0 points
    SeasonProgress.objects.update(points=40)
    with pytest.raises(CommandError, match=r"season S0 ended at .* and its progress is final"):
        run("--season", "S0")
    assert SeasonProgress.objects.get().points == 40


def test_a_blank_cluster_id_is_a_clear_error_and_writes_nothing(season, weighted):
    with pytest.raises(CommandError, match=r"^cluster id is blank$"):
        run("--cluster", "c1", "--cluster", "")
    assert not SeasonProgress.objects.exists()
