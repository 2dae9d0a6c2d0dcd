import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hedge.challenges.etl import FAILED, OK, SKIPPED, run_challenge_etl
from hedge.challenges.extractors import DemoExtractor
from hedge.challenges.models import ChallengeProgress, ChallengeProgressHistory
from hedge.challenges.signals import progress_changed
from tests.factories import ChallengeFactory, ChallengeProgressFactory, ChallengeTierFactory

pytestmark = pytest.mark.django_db


def values(source_values):
    """A fake extractor: the same {cluster_id: value} for every challenge it is asked about."""
    return lambda challenge: iter(source_values.items())


def progress_of(code):
    return dict(ChallengeProgress.objects.filter(challenge__code=code).values_list("cluster_id", "value"))


@pytest.fixture
def received():
    calls = []

    def receiver(sender, change, **kwargs):
        calls.append(change)

    progress_changed.connect(receiver, dispatch_uid="tests.received")
    yield calls
    progress_changed.disconnect(dispatch_uid="tests.received")


def test_etl_upserts_each_active_challenge_from_its_extractor():
    ChallengeFactory(code="wins", metric_source="pvp")
    ChallengeFactory(code="levels", metric_source="heroes")
    ChallengeFactory(code="retired", metric_source="pvp", is_active=False)

    run = run_challenge_etl(extractors={"pvp": values({"a": 3, "b": 1}), "heroes": values({"a": 9})})

    assert [o.status for o in run.outcomes] == [OK, OK]
    assert progress_of("wins") == {"a": 3, "b": 1}
    assert progress_of("levels") == {"a": 9}
    assert progress_of("retired") == {}
    assert (run.total.inserted, run.total.updated) == (3, 0)


def test_etl_records_history_and_tiers_and_stamps_changes_with_the_run_start():
    wins = ChallengeFactory(code="wins", metric_source="pvp")
    ChallengeTierFactory(challenge=wins, tier=1, threshold=10)
    ChallengeTierFactory(challenge=wins, tier=2, threshold=20)
    ChallengeProgressFactory(challenge=wins, cluster_id="same", value=15, current_tier=1)
    started = timezone.now()

    run_challenge_etl(extractors={"pvp": values({"new": 25, "same": 15, "low": 3})}, now=started)

    rows = {p.cluster_id: (p.value, p.current_tier) for p in ChallengeProgress.objects.all()}
    assert rows == {"new": (25, 2), "same": (15, 1), "low": (3, 0)}
    history = sorted(ChallengeProgressHistory.objects.values_list("cluster_id", "value", "recorded_at"))
    assert history == [("low", 3, started), ("new", 25, started)]
    assert set(ChallengeProgress.objects.filter(updated_at__gte=started).values_list("cluster_id", flat=True)) == {
        "new",
        "low",
    }


def test_one_failing_extractor_is_reported_and_does_not_lose_the_others():
    ChallengeFactory(code="wins", metric_source="pvp")
    ChallengeFactory(code="levels", metric_source="heroes")

    def broken(challenge):
        yield "a", 1
        raise ConnectionError("indexer timed out")

    run = run_challenge_etl(extractors={"pvp": values({"a": 3}), "heroes": broken})

    by_code = {o.code: o for o in run.outcomes}
    assert by_code["levels"].status == FAILED
    assert by_code["levels"].error == "ConnectionError: indexer timed out"
    assert progress_of("levels") == {}  # its partial rows were rolled back
    assert progress_of("wins") == {"a": 3}


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ({"a": -1}, "ValueError: extractor yielded -1 for cluster 'a'; values must be non-negative"),
        ({"": 1}, "ValueError: extractor yielded a bad row: cluster id is blank"),
        (
            {"x" * 129: 1},
            "ValueError: extractor yielded a bad row: cluster id 'xxxxxxxxxxxxxxxxxxxx'... is longer than",
        ),
        ({"a": 1.5}, "TypeError: extractor yielded float 1.5 for cluster 'a'; expected int"),
    ],
)
def test_bad_extractor_rows_fail_that_challenge_only(rows, error):
    ChallengeFactory(code="wins", metric_source="pvp")

    [outcome] = run_challenge_etl(extractors={"pvp": values(rows)}).outcomes

    assert outcome.status == FAILED
    assert outcome.error.startswith(error)
    assert not ChallengeProgress.objects.exists()


def test_duplicate_cluster_from_an_extractor_fails_that_challenge():
    ChallengeFactory(code="wins", metric_source="pvp")

    [outcome] = run_challenge_etl(extractors={"pvp": lambda c: iter([("a", 1), ("a", 2)])}).outcomes

    assert outcome.status == FAILED
    assert not ChallengeProgress.objects.exists()


def test_challenge_without_extractor_is_skipped():
    ChallengeFactory(code="wins", metric_source="pvp")

    [outcome] = run_challenge_etl(extractors={}).outcomes

    assert outcome.status == SKIPPED
    assert "no extractor registered for metric source 'pvp'" in outcome.error


def test_source_filter_runs_only_that_source_and_rejects_unknown_sources():
    ChallengeFactory(code="wins", metric_source="pvp")
    ChallengeFactory(code="levels", metric_source="heroes")

    run = run_challenge_etl(source="pvp", extractors={"pvp": values({"a": 1}), "heroes": values({"a": 1})})

    assert [o.code for o in run.outcomes] == ["wins"]
    with pytest.raises(ValueError, match="no active challenge has metric source 'nope'"):
        run_challenge_etl(source="nope", extractors={})


def test_hook_is_sent_once_with_what_changed(received):
    ChallengeFactory(code="wins", metric_source="pvp")
    ChallengeFactory(code="levels", metric_source="heroes")
    ChallengeProgressFactory(challenge__code="levels", cluster_id="a", value=1)
    started = timezone.now()

    run_challenge_etl(extractors={"pvp": values({"a": 3}), "heroes": values({"a": 1})}, now=started)

    [change] = received
    assert change.source == "etl"
    assert change.changed_since == started
    assert change.challenge_codes == frozenset({"wins"})


def test_hook_is_not_sent_when_nothing_changed(received):
    ChallengeProgressFactory(challenge__code="wins", challenge__metric_source="pvp", cluster_id="a", value=3)

    run_challenge_etl(extractors={"pvp": values({"a": 3})})

    assert received == []


def test_a_failing_hook_receiver_is_reported_and_progress_stays():
    ChallengeFactory(code="wins", metric_source="pvp")

    def failing(sender, change, **kwargs):
        raise RuntimeError("season engine down")

    progress_changed.connect(failing, dispatch_uid="tests.failing")
    try:
        run = run_challenge_etl(extractors={"pvp": values({"a": 3})})
    finally:
        progress_changed.disconnect(dispatch_uid="tests.failing")

    assert len(run.hook_errors) == 1
    assert "season engine down" in run.hook_errors[0]
    assert progress_of("wins") == {"a": 3}


def test_etl_runs_one_round_of_statements_per_challenge_whatever_the_number_of_clusters():
    ChallengeFactory(code="wins", metric_source="pvp")

    with CaptureQueriesContext(connection) as few:
        run_challenge_etl(extractors={"pvp": DemoExtractor(clusters=10, seed=1)})
    with CaptureQueriesContext(connection) as many:
        run_challenge_etl(extractors={"pvp": DemoExtractor(clusters=2000, seed=2)})

    assert ChallengeProgress.objects.count() > 1000
    assert len(many) == len(few)


def test_demo_extractor_is_deterministic_and_a_second_run_changes_nothing():
    ChallengeFactory(code="wins", metric_source="pvp")
    demo = DemoExtractor(clusters=500, seed=7)

    first = run_challenge_etl(extractors={"pvp": demo})
    second = run_challenge_etl(extractors={"pvp": demo}, now=timezone.now() + datetime.timedelta(minutes=1))

    assert 350 < first.total.inserted <= 500
    assert (second.total.inserted, second.total.updated, second.total.unchanged) == (0, 0, first.total.inserted)


def test_command_with_demo_prints_a_line_per_challenge(capsys):
    ChallengeFactory(code="wins", metric_source="pvp")
    ChallengeFactory(code="levels", metric_source="heroes")

    call_command("run_challenge_etl", demo=True, clusters=50)

    out = capsys.readouterr().out
    assert out.count(" ok ") == 2
    assert "2 challenge(s):" in out
    assert ChallengeProgress.objects.filter(cluster_id__startswith="cluster-").exists()


def test_command_fails_when_a_challenge_fails(settings, capsys):
    ChallengeFactory(code="wins", metric_source="pvp")
    settings.HEDGE_EXTRACTORS = {"pvp": "tests.challenges.test_etl.exploding_extractor"}

    with pytest.raises(CommandError, match="1 challenge"):
        call_command("run_challenge_etl")

    assert "RuntimeError: boom" in capsys.readouterr().err


def exploding_extractor(challenge):
    raise RuntimeError("boom")
