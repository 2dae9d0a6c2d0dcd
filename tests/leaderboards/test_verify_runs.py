"""`verify_runs` recomputes each COMPLETE run's checksum from its stored entries and names every run that no longer
matches the checksum it was published with."""

import datetime
import hashlib
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from leaderboards.models import LeaderboardRun
from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run, generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, given_history

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_runs", *args, stdout=out)
    return out.getvalue()


def verify_failing(*args) -> tuple[str, CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_runs", *args, stdout=out)
    return out.getvalue(), failure.value


def summary(out: str) -> str:
    """The last line without its duration."""
    return re.sub(r" in [0-9.]+ s:", ":", out.splitlines()[-1])


def corrupt(sql: str, params: dict) -> None:
    """Change stored entries behind hedge's back, as a disk fault or a hand-edit would."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.rowcount == 1


def checksum_of_stored_entries(run) -> str:
    """The README's format, recomputed in Python from the rows as stored (a reference, not the product's statement)."""
    rows = run.entries.order_by("position").values_list("position", "cluster_id", "rank", "score", "tiebreaker")
    return hashlib.sha256("".join(",".join(map(str, row)) + "\n" for row in rows).encode()).hexdigest()


@pytest.fixture
def boards(wins):
    given_history(wins, {"alice": 10, "bob": 10, "carol": 7, "dave": 5}, at=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    LeaderboardDefFactory(key="other_wins", challenge=wins)
    return {
        "top_wins": [generate_leaderboard_run("top_wins"), generate_leaderboard_run("top_wins")],
        "other_wins": [generate_leaderboard_run("other_wins")],
    }


def test_every_published_run_matches_its_stored_checksum(boards):
    out = verify()

    assert summary(out) == "3 run(s) verified (12 entries): 0 mismatch(es)"
    assert "MISMATCH" not in out


def test_an_entry_corrupted_by_sql_is_named_with_its_run_and_both_checksums(boards):
    run = boards["top_wins"][1]
    corrupt("UPDATE leaderboard_entries SET score = score + 1 WHERE run_id = %(run)s AND position = 3", {"run": run.pk})

    out, failure = verify_failing()

    computed = checksum_of_stored_entries(run)
    assert computed != run.checksum
    assert f"MISMATCH top_wins run {run.pk} stored={run.checksum} computed={computed}\n" in out
    assert out.count("MISMATCH") == 1  # the two intact runs are not named
    assert summary(out) == "3 run(s) verified (12 entries): 1 mismatch(es)"
    assert str(failure) == f"1 run(s) do not match their stored checksum: top_wins run {run.pk}"
    assert failure.returncode == 1  # manage.py's exit code


def test_a_deleted_entry_and_a_changed_cluster_are_mismatches_too(boards):
    first, second = boards["top_wins"]
    corrupt("DELETE FROM leaderboard_entries WHERE run_id = %(run)s AND position = 4", {"run": first.pk})
    corrupt(
        "UPDATE leaderboard_entries SET cluster_id = 'mallory' WHERE run_id = %(run)s AND position = 1",
        {"run": second.pk},
    )

    out, failure = verify_failing("top_wins")

    assert f"top_wins run {first.pk} stored={first.checksum} computed={checksum_of_stored_entries(first)}" in out
    assert f"top_wins run {second.pk} stored={second.checksum} computed={checksum_of_stored_entries(second)}" in out
    assert str(failure).endswith(f"top_wins run {first.pk}, top_wins run {second.pk}")


def test_named_keys_verify_only_their_runs(boards):
    corrupt(
        "UPDATE leaderboard_entries SET rank = 3 WHERE run_id = %(run)s AND position = 3",
        {"run": boards["top_wins"][0].pk},
    )

    assert summary(verify("other_wins")) == "1 run(s) verified (4 entries): 0 mismatch(es)"
    verify_failing("top_wins", "other_wins")


def test_since_leaves_out_runs_published_before_the_last_days(boards):
    old = boards["top_wins"][0]
    LeaderboardRun.objects.filter(pk=old.pk).update(finished_at=timezone.now() - 10 * DAY)
    corrupt("UPDATE leaderboard_entries SET tiebreaker = 1 WHERE run_id = %(run)s AND position = 1", {"run": old.pk})

    assert summary(verify("--since", "5")) == "2 run(s) verified (8 entries): 0 mismatch(es)"
    out, _ = verify_failing("--since", "11")
    assert f"run {old.pk} " in out


def test_finals_verifies_only_final_runs(boards, wins):
    LeaderboardDefFactory(key="daily_wins", challenge=wins, time_window="DAILY")
    today = calendar_period("DAILY", now=timezone.now())
    final = generate_final_run("daily_wins", period_start=today.start - DAY, period_end=today.start)
    corrupt(
        "UPDATE leaderboard_entries SET score = 0 WHERE run_id = %(run)s AND position = 4",
        {"run": boards["other_wins"][0].pk},
    )

    assert final.is_final and final.status == "COMPLETE"
    assert summary(verify("--finals")) == f"1 run(s) verified ({final.row_count} entries): 0 mismatch(es)"
    verify_failing()


def test_runs_not_published_are_not_verified(boards):
    LeaderboardRun.objects.filter(pk=boards["other_wins"][0].pk).update(status="FAILED", checksum="")

    assert "2 run(s) verified" in verify()


def test_an_unknown_key_is_refused_before_anything_is_verified(boards):
    out, failure = verify_failing("top_wins", "nope")

    assert str(failure) == "Unknown leaderboard 'nope'."
    assert "verified" not in out


def test_since_must_be_a_whole_number_of_days():
    with pytest.raises(CommandError, match="'0' is not a whole number of at least 1"):
        call_command("verify_runs", "--since", "0")


def test_quiet_when_everything_matches(boards):
    assert verify("--verbosity", "0") == ""
