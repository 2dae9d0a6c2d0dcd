import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.commands import runserver

from hedge.challenges.models import ChallengeProgress
from hedge.demo.services import DEMO_LEADERBOARDS, DEMO_SEASON_ID
from leaderboards.models import LeaderboardDef, LeaderboardRun, RunStatus
from seasons.models import Season, SeasonChallengeWeight, SeasonProgress
from tests.factories import SeasonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def quickstart(capsys, **options):
    call_command("quickstart", no_serve=True, clusters=300, **options)
    return capsys.readouterr().out


def test_quickstart_sets_up_everything_a_newcomer_looks_at(capsys, client):
    out = quickstart(capsys)

    assert ChallengeProgress.objects.values("cluster_id").distinct().count() > 250
    season = Season.objects.get(id=DEMO_SEASON_ID)
    assert season.is_active and SeasonChallengeWeight.objects.filter(season=season).count() >= 3
    assert SeasonProgress.objects.filter(season=season, points__gt=0).exists()
    windows = set(LeaderboardDef.objects.values_list("time_window", flat=True))
    assert windows == {"DAILY", "WEEKLY", "MONTHLY", "SEASON", "ALL_TIME"}
    assert LeaderboardDef.objects.filter(rank_mode="COMPETITION").exists()
    assert LeaderboardDef.objects.exclude(fallback_metric_key=None).exists()
    current = LeaderboardRun.objects.filter(status=RunStatus.COMPLETE, is_final=False)
    assert current.count() == len(DEMO_LEADERBOARDS)
    # The day, week and month that ended before today have their final standings too.
    assert LeaderboardRun.objects.filter(status=RunStatus.COMPLETE, is_final=True).count() == 3
    daily = client.get("/leaderboards/lb_pvp_daily_wins/latest").json()["entries"]
    all_time = client.get("/leaderboards/lb_pvp_all_time_wins/latest").json()["entries"]
    assert daily and daily[0]["score"] < all_time[0]["score"]  # today's gains, not lifetime values
    season_board = client.get("/leaderboards/lb_challenge_pass_season/latest").json()["entries"]
    top = client.get(f"/seasons/{DEMO_SEASON_ID}/progress", {"clusterId": season_board[0]["clusterId"]}).json()
    assert season_board[0]["score"] == top["points"] > 0  # the season's points, ranked
    password = re.search(r"login:\s+admin / (\S+)", out).group(1)
    # Through the admin's login page, as a person would (django-axes watches it).
    login = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": password})
    assert login.status_code == 302 and login.url == "/admin/"
    assert client.get("/leaderboards/lb_pvp_all_time_wins/latest").json()["entries"]
    assert client.get("/seasons/active").json()["id"] == DEMO_SEASON_ID


def test_second_quickstart_reuses_everything_and_prints_no_password(capsys):
    first = quickstart(capsys)
    counts = (LeaderboardDef.objects.count(), Season.objects.count(), get_user_model().objects.count())

    second = quickstart(capsys)

    assert (LeaderboardDef.objects.count(), Season.objects.count(), get_user_model().objects.count()) == counts
    assert "admin / " in first and "admin / " not in second
    assert "changepassword admin" in second
    assert f"{len(DEMO_LEADERBOARDS)} reused" in second


def test_two_quickstarts_get_different_random_passwords(capsys):
    first = re.search(r"admin / (\S+)", quickstart(capsys)).group(1)
    get_user_model().objects.all().delete()
    second = re.search(r"admin / (\S+)", quickstart(capsys)).group(1)

    assert first != second and len(first) >= 12


def test_quickstart_leaves_another_active_season_active(capsys):
    SeasonFactory(id="REAL-S1", is_active=True)

    out = quickstart(capsys)

    assert Season.objects.get(is_active=True).id == "REAL-S1"
    assert "season REAL-S1 is already active" in out


def test_quickstart_is_quiet_at_verbosity_0(capsys):
    out = quickstart(capsys, verbosity=0)

    assert "->" not in out and "ok " not in out
    assert "hedge is ready" in out


def test_quickstart_serves_where_addrport_says_and_the_readme_says_so_beside_its_run_command(
    capsys, settings, monkeypatch
):
    settings.DEBUG = True  # no collectstatic before serving
    served = []
    monkeypatch.setattr(
        runserver.Command, "run", lambda command, **options: served.append(command.addr + ":" + command.port)
    )

    call_command("quickstart", clusters=300, addrport="0.0.0.0:8080")

    assert served == ["0.0.0.0:8080"]
    assert "http://0.0.0.0:8080/api/docs/" in capsys.readouterr().out
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    after_run_command = readme.split("<!-- /run-command -->", 1)[1].lstrip().split("\n\n", 1)[0]
    assert "manage.py quickstart --addrport 0.0.0.0:8080" in after_run_command
