import io

import pytest
from django.core.management import CommandError, call_command

from hedge.challenges.etl import run_challenge_etl
from hedge.challenges.models import ChallengeProgress
from hedge.challenges.services.imports import import_progress
from hedge.challenges.services.locks import ProgressWriteInProgress
from tests.factories import ChallengeFactory

pytestmark = pytest.mark.django_db


def test_a_second_etl_run_refuses_to_start_while_another_writes(other_writer):
    ChallengeFactory(code="wins", metric_source="pvp")

    with pytest.raises(ProgressWriteInProgress):
        run_challenge_etl(extractors={"pvp": lambda c: iter([("a", 1)])})

    assert not ChallengeProgress.objects.exists()


def test_etl_command_skips_the_tick_without_failing(other_writer, capsys):
    ChallengeFactory(code="wins", metric_source="pvp")

    call_command("run_challenge_etl", demo=True, clusters=5)

    assert "skipped: another challenge ETL run or progress import is in progress" in capsys.readouterr().out
    assert not ChallengeProgress.objects.exists()


def test_import_refuses_while_an_etl_run_writes(other_writer, tmp_path):
    ChallengeFactory(code="wins")
    path = tmp_path / "p.csv"
    path.write_text("cluster_id,challenge_code,value\nc1,wins,1\n")

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_progress", str(path))


def test_the_lock_is_released_after_each_run_and_import():
    ChallengeFactory(code="wins", metric_source="pvp")

    run_challenge_etl(extractors={"pvp": lambda c: iter([("a", 1)])})
    import_progress(io.StringIO("cluster_id,challenge_code,value\na,wins,2\n"))
    run_challenge_etl(extractors={"pvp": lambda c: iter([("a", 3)])})

    assert ChallengeProgress.objects.get().value == 3


def test_the_lock_is_released_when_the_run_fails():
    ChallengeFactory(code="wins", metric_source="pvp")

    with pytest.raises(ValueError, match="no active challenge"):
        run_challenge_etl(source="nope", extractors={})
    run = run_challenge_etl(extractors={"pvp": lambda c: iter([("a", 1)])})

    assert run.total.inserted == 1
