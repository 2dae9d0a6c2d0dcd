"""The season form and the active season: deactivating it while it runs asks first; no season may be named `active`."""

import datetime

import pytest
from django.utils import timezone

from seasons.models import Season
from tests.factories import SeasonFactory
from tests.helpers import form_errors_of, season_form

pytestmark = pytest.mark.django_db

SEASONS = "/admin/seasons/season/"


@pytest.fixture
def running(db):
    now = timezone.now()
    return SeasonFactory(
        id="S1", is_active=True, starts_at=now - datetime.timedelta(days=3), ends_at=now + datetime.timedelta(days=3)
    )


def test_deactivating_the_running_season_asks_and_says_what_stops(admin_client, running):
    response = admin_client.post(f"{SEASONS}S1/change/", season_form(running, is_active=False))

    assert response.status_code == 200
    assert form_errors_of(response) == [
        "Season S1 is running: deactivating it stops its progress updates and its SEASON leaderboards. "
        "Tick “Yes, stop this season now” to confirm."
    ]
    assert Season.objects.get(pk="S1").is_active


def test_deactivating_the_running_season_with_the_box_ticked_stops_it(admin_client, running):
    form = {**season_form(running, is_active=False), "confirm_deactivation": "on"}

    response = admin_client.post(f"{SEASONS}S1/change/", form)

    assert response.status_code == 302
    assert not Season.objects.get(pk="S1").is_active


def test_the_confirmation_box_is_shown_only_on_the_running_active_season(admin_client, running):
    SeasonFactory(id="S0", is_active=False)

    assert "confirm_deactivation" in admin_client.get(f"{SEASONS}S1/change/").content.decode()
    assert "confirm_deactivation" not in admin_client.get(f"{SEASONS}S0/change/").content.decode()
    assert "confirm_deactivation" not in admin_client.get(f"{SEASONS}add/").content.decode()


def test_a_season_that_has_ended_is_deactivated_without_asking(admin_client):
    now = timezone.now()
    ended = SeasonFactory(
        id="S0", is_active=True, starts_at=now - datetime.timedelta(days=9), ends_at=now - datetime.timedelta(days=1)
    )

    response = admin_client.post(f"{SEASONS}S0/change/", season_form(ended, is_active=False))

    assert response.status_code == 302
    assert not Season.objects.get(pk="S0").is_active


def test_a_season_cannot_be_named_active_which_the_api_paths_reserve(admin_client):
    response = admin_client.post(f"{SEASONS}add/", season_form(id="active"))

    assert form_errors_of(response) == ["“active” names the running season in the API's paths: choose another id."]
    assert not Season.objects.filter(pk="active").exists()
