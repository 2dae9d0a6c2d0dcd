import datetime
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leaderboards.models import LeaderboardRun, RunStatus
from tests.factories import LeaderboardDefFactory, given_progress

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def generate(*args, verbosity=1):
    out, err = StringIO(), StringIO()
    try:
        call_command("generate_leaderboard", *args, stdout=out, stderr=err, verbosity=verbosity)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


@pytest.fixture
def two_leaderboards(wins):
    given_progress(wins, {"alice": 3, "bob": 2, "carol": 1})
    LeaderboardDefFactory(key="lb_all", challenge=wins)
    LeaderboardDefFactory(key="lb_top2", challenge=wins, max_entries=2)
    LeaderboardDefFactory(key="lb_paused", challenge=wins, is_active=False)


def test_one_line_per_leaderboard_with_key_run_status_rows_and_duration(two_leaderboards):
    out, err, error = generate("lb_all", "lb_top2")

    runs = {run.leaderboard_id: run for run in LeaderboardRun.objects.all()}
    lines = out.splitlines()
    assert re.fullmatch(rf"lb_all +run={runs['lb_all'].pk} +COMPLETE +rows=3 \d+\.\d\ds", lines[0])
    assert re.fullmatch(rf"lb_top2 +run={runs['lb_top2'].pk} +COMPLETE +rows=2 \d+\.\d\ds", lines[1])
    assert lines[2] == "2 leaderboard(s) generated, 0 failed"
    assert (err, error) == ("", None)


def test_all_generates_every_active_leaderboard(two_leaderboards):
    generate("--all")

    assert sorted(LeaderboardRun.objects.values_list("leaderboard_id", "status")) == [
        ("lb_all", RunStatus.COMPLETE),
        ("lb_top2", RunStatus.COMPLETE),
    ]


def test_an_unknown_key_is_reported_the_others_still_run_and_the_exit_is_non_zero(two_leaderboards):
    _, err, error = generate("lb_all", "nope", "lb_top2")

    assert "Unknown leaderboard 'nope'" in err
    assert err.startswith("nope ")
    assert set(LeaderboardRun.objects.values_list("leaderboard_id", flat=True)) == {"lb_all", "lb_top2"}
    assert str(error) == "1 leaderboard(s) failed: nope"


def test_an_inactive_key_fails_unless_forced(two_leaderboards):
    _, err, error = generate("lb_paused")
    assert "inactive" in err and error is not None

    _, _, error = generate("lb_paused", "--force")
    assert error is None
    assert LeaderboardRun.objects.get().leaderboard_id == "lb_paused"


def test_a_failed_generation_names_its_run_and_error(two_leaderboards, break_ranking):
    break_ranking()

    _, err, error = generate("lb_all")

    run = LeaderboardRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert re.match(rf"lb_all +run={run.pk} +FAILED", err)
    assert "no_such_column" in err
    assert error is not None


def test_an_explicit_period_without_offset_is_taken_as_utc(two_leaderboards):
    generate("lb_all", "--period-start", "2025-03-01T00:00", "--period-end", "2025-03-02T12:30:00+02:00")

    run = LeaderboardRun.objects.get()
    assert (run.period_start, run.period_end) == (
        datetime.datetime(2025, 3, 1, tzinfo=UTC),
        datetime.datetime(2025, 3, 2, 10, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give one or more leaderboard keys, or --all"),
        (("lb_all", "--all"), "give leaderboard keys or --all, not both"),
        (("lb_all", "--period-start", "yesterday", "--period-end", "2025-01-01"), "--period-start: 'yesterday'"),
        (("lb_all", "--period-start", "2025-01-01", "--period-end", "2025-13-01T00:00"), "--period-end: '2025-13-01"),
        (("lb_all", "--period-start", "2025-01-01T00:00"), "give both --period-start and --period-end"),
        (("lb_all", "--period-start", "2025-01-02T00:00", "--period-end", "2025-01-01T00:00"), "must be before"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(two_leaderboards, args, message):
    _, _, error = generate(*args)

    assert message in str(error)
    assert not LeaderboardRun.objects.exists()


def test_verbosity_zero_prints_only_failures(two_leaderboards):
    out, err, _ = generate("lb_all", "nope", verbosity=0)

    assert out == ""
    assert err.startswith("nope ")


def test_all_without_active_leaderboards_says_so(db):
    out, _, error = generate("--all")

    assert (out, error) == ("no active leaderboards\n", None)


def test_all_skips_season_leaderboards_between_seasons_without_failing(two_leaderboards, wins):
    LeaderboardDefFactory(key="lb_season", challenge=wins, time_window="SEASON")

    out, err, error = generate("--all")

    assert (err, error) == ("", None)
    [skipped] = [line for line in out.splitlines() if line.startswith("lb_season ")]
    assert re.fullmatch(r"lb_season +run=- +SKIPPED +rows=0 \d+\.\d\ds  No season is active at .*", skipped)
    assert out.splitlines()[-1] == "2 leaderboard(s) generated, 1 skipped, 0 failed"
    assert sorted(LeaderboardRun.objects.values_list("leaderboard_id", flat=True)) == ["lb_all", "lb_top2"]


def test_all_still_fails_for_other_errors_next_to_a_skipped_season_leaderboard(two_leaderboards, wins, break_ranking):
    LeaderboardDefFactory(key="lb_season", challenge=wins, time_window="SEASON")
    break_ranking()

    out, err, error = generate("--all")

    assert "SKIPPED" in out and "lb_season" not in err
    assert out.splitlines()[-1] == "0 leaderboard(s) generated, 1 skipped, 2 failed"
    assert str(error) == "2 leaderboard(s) failed: lb_all, lb_top2"


def test_a_season_leaderboard_named_explicitly_between_seasons_fails(two_leaderboards, wins):
    LeaderboardDefFactory(key="lb_season", challenge=wins, time_window="SEASON")

    out, err, error = generate("lb_season", "lb_all")

    assert re.match(r"lb_season +run=- +FAILED +rows=0 .*No season is active", err)
    assert "SKIPPED" not in out
    assert str(error) == "1 leaderboard(s) failed: lb_season"
