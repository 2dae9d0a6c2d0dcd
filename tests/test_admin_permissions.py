"""Every write in the admin declares its permission: staff who may only view, or nothing at all, cannot act.

The walk is generic: every action of every registered ModelAdmin (Django's delete_selected included) and every
URL a ModelAdmin adds in `get_urls()` beyond Django's own pages, posted (and fetched) as a staff user with the
view permission of every model and as a staff user without permissions. Nothing may change in any table, and
the request is refused (403, or the action is not offered). An action or admin URL added later without a
permission makes this module fail. Staff who may change can still act (one test per admin below).
"""

from __future__ import annotations

import datetime
import hashlib

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from leaderboards.models import Exclusion, LeaderboardDef, LeaderboardRun, RunStatus
from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run
from seasons.models import Season, SeasonLevel, SeasonProgress
from tests.factories import (
    AccessAttemptFactory,
    AccessFailureLogFactory,
    AccessLogFactory,
    ChallengeFactory,
    ChallengeTierFactory,
    ClusterProfileFactory,
    ExclusionFactory,
    GroupFactory,
    LeaderboardDefFactory,
    LeaderboardPrizeFactory,
    LeagueFactory,
    LeagueTierFactory,
    PremiumGrantFactory,
    RewardClaimFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonLevelFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
    StaffUserFactory,
    WebhookEndpointFactory,
    given_history,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
# Django's own pages of a ModelAdmin; everything else in get_urls() is walked.
STANDARD_PAGES = {"changelist", "add", "history", "delete", "change"}


def _custom_urls(model_admin):
    opts = model_admin.model._meta
    standard = {f"{opts.app_label}_{opts.model_name}_{page}" for page in STANDARD_PAGES}
    for pattern in model_admin.get_urls():
        # The unnamed "<path:object_id>/" is Django's redirect to the change page.
        if pattern.name in standard or (pattern.name is None and str(pattern.pattern) == "<path:object_id>/"):
            continue
        yield pattern


ACTIONS = [
    pytest.param(model, name, func, id=f"{model._meta.label}.{name}")
    for model, model_admin in REGISTRY
    for func, name, _ in model_admin._get_base_actions()
]
CUSTOM_URLS = [
    pytest.param(model, pattern, id=pattern.name or f"{model._meta.label}:{pattern.pattern}")
    for model, model_admin in REGISTRY
    for pattern in _custom_urls(model_admin)
]

# The walk must have found at least these (so it can never pass by walking nothing).
KNOWN_ACTIONS = {
    "leaderboards.LeaderboardDef.generate_now",
    "leaderboards.LeaderboardDef.generate_now_forced",
    "leaderboards.LeaderboardDef.delete_selected",
    "leaderboards.Exclusion.lift",
    "seasons.Season.recompute_progress",
    "seasons.Season.fill_level_curve",
    "axes.AccessAttempt.cleanup_expired_attempts",
    "profiles.ClusterProfile.clear_names",
}
KNOWN_URLS = {
    "leaderboards_leaderboarddef_preview",
    "leaderboards_leaderboarddef_generate",
    "leaderboards_leaderboardrun_regenerate",
    "leaderboards_leaderboardrun_entries_csv",
    "seasons_season_preview",
    "seasons_season_recompute",
    "seasons_season_progress_csv",
    "seasons_season_simple_history",
    "profiles_clusterprofile_simple_history",
    "prizes_leaderboardaward_run_csv",
    "leagues_league_simple_history",
    "auth_user_password_change",
}


def _reads_with_view_permission(pattern, method: str) -> bool:
    """What staff who may only view can still use: downloads, the preview of a stored definition (it only
    reads; a new one's needs the add permission), a past version of an audited object (shown, not reverted)."""
    if pattern.name in {
        "leaderboards_leaderboardrun_entries_csv",
        "seasons_season_progress_csv",
        "prizes_leaderboardaward_run_csv",
    }:
        return True
    if pattern.name == "leaderboards_leaderboarddef_preview":
        return method == "POST" and "object_id" in str(pattern.pattern)
    return pattern.name.endswith("_simple_history") and method == "GET"


# What each action or view needs posted to write, had it no permission check (defaults: none).
CURVE = [100, 200, 300]
ACTION_FORMS = {
    "fill_level_curve": {
        "formula": "flat",
        "levels": str(len(CURVE)),
        "step": "100",
        "apply": "Save",
        "previewed": hashlib.sha256(",".join(map(str, CURVE)).encode()).hexdigest()[:16],
    },
}
URL_FORMS = {
    "leaderboards_leaderboardrun_regenerate": {"note": "alice botted"},
    "auth_user_password_change": {"password1": "Another-pw-123", "password2": "Another-pw-123"},
}


def every_table() -> dict[str, list[tuple]]:
    """Every row of every table (sessions aside: a request may touch its own), in primary-key order."""
    return {
        model._meta.db_table: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models(include_auto_created=True)
        if model is not Session
    }


@pytest.fixture
def world(db):
    """A row of every model the admin shows, arranged so that every action and view would write something:
    stale season progress to recompute, an active exclusion to lift, a published final run to regenerate, a
    definition to generate (and, once someone has logged in, an expired failed login to clean up)."""
    today = calendar_period("DAILY", now=timezone.now())
    wins = ChallengeFactory(code="wins")
    ChallengeTierFactory(challenge=wins, tier=1)
    given_history(wins, {"alice": 100, "bob": 100}, at=today.start - 2 * DAY)
    given_history(wins, {"alice": 105, "bob": 102}, at=today.start - DAY / 2)
    given_history(wins, {"alice": 110}, at=timezone.now())  # today alice gains
    definition = LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY")
    WebhookEndpointFactory()  # the final run's event is delivered to it: an event and a delivery to act on
    LeaderboardPrizeFactory(leaderboard=definition, rank_from=1, rank_to=1)  # the final run awards it
    league = LeagueFactory(leaderboard=definition)  # the final run places and moves its members
    LeagueTierFactory(league=league, level=1, promote_count=1)
    LeagueTierFactory(league=league, level=2)
    final = generate_final_run("lb_daily", period_start=today.start - DAY, period_end=today.start)
    season = SeasonFactory(id="S1", is_active=True, points_per_level=10)
    SeasonChallengeWeightFactory(season=season, challenge=wins, weight=2)
    SeasonProgressFactory(season=season, cluster_id="alice", points=0)  # stale: a recompute gives 220
    SeasonLevelFactory(season=season, level=1, points_required=50)  # one save, not given_curve: it has a history row
    SeasonRewardFactory(season=season, level=1)
    PremiumGrantFactory(season=season, cluster_id="alice")
    RewardClaimFactory(season=season, cluster_id="alice")
    exclusion = ExclusionFactory(cluster_id="bob", leaderboard=definition)
    ClusterProfileFactory(cluster_id="alice")  # a display name to clear
    GroupFactory()
    AccessLogFactory()
    AccessFailureLogFactory()
    return {LeaderboardDef: definition, LeaderboardRun: final, Season: season, Exclusion: exclusion}


@pytest.fixture
def viewer(world):
    """Staff with the view permission of every model, and no other."""
    return StaffUserFactory(username="viewer", permissions=Permission.objects.filter(codename__startswith="view_"))


@pytest.fixture
def nobody(world):
    """Staff without any permission."""
    return StaffUserFactory(username="nobody")


@pytest.fixture(params=["viewer", "nobody"])
def refused(request):
    return request.getfixturevalue(request.param)


def client_of(user) -> Client:
    """A client logged in as `user`; then an expired failed login, since logging in cleans those up (axes)."""
    client = Client()
    client.force_login(user)
    attempt = AccessAttemptFactory()
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - 30 * DAY)
    return client


def subject_of(model, world):
    """The object a URL of `model`'s admin is about: the world's own one, else the first row."""
    subject = world.get(model) or model._base_manager.order_by("pk").first()
    assert subject is not None, f"The world has no {model._meta.label}: add one, so its admin URLs are walked."
    return subject


def url_of(model, pattern, world) -> str:
    """The pattern's URL for the model's subject; a second argument is a version of it (django-simple-history)."""
    assert pattern.name, f"{model._meta.label}: name the admin URL {pattern.pattern!s} so it can be walked."
    route = pattern.pattern
    count = len(route.converters) if isinstance(route, RoutePattern) else route.regex.groups
    subject = subject_of(model, world)
    # A URL whose argument is a run (not one of the admin's own rows) is about the world's final run.
    args = [world[LeaderboardRun].pk if "run_id" in str(route) else subject.pk] if count else []
    if count == 2 and hasattr(model, "history"):
        version = subject.history.order_by("-history_id").first()
        assert version is not None, f"The world's {model._meta.label} has no history row: create it with save()."
        args.append(version.history_id)
    assert count == len(args), f"Teach this walk the arguments of {pattern.name} ({route!s})."
    return reverse(f"admin:{pattern.name}", args=args)


def changelist_of(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# --- the walk ---------------------------------------------------------------------------------------


def test_the_walk_finds_every_known_action_and_admin_url():
    walked_actions = {param.id for param in ACTIONS}
    walked_urls = {param.id for param in CUSTOM_URLS}

    assert walked_actions >= KNOWN_ACTIONS
    assert walked_urls >= KNOWN_URLS


@pytest.mark.parametrize(("model", "name", "func"), ACTIONS)
def test_every_admin_action_declares_its_permission(model, name, func):
    assert getattr(func, "allowed_permissions", None), (
        f"{model._meta.label}: the action {name!r} declares no permission; "
        '@admin.action(permissions=["change"]) for a write, ["view"] for a read'
    )


@pytest.mark.parametrize(("model", "name", "func"), ACTIONS)
def test_no_action_runs_for_staff_who_may_only_view_or_nothing(world, refused, model, name, func):
    model_admin = admin.site._registry[model]
    client = client_of(refused)  # logging in writes (the login log): before the tables are read
    subject = subject_of(model, world)
    reads = set(getattr(func, "allowed_permissions", ())) == {"view"}
    offered = name in model_admin.get_actions(request_of(refused))
    before = every_table()

    response = client.post(
        changelist_of(model),
        {
            "action": name,
            helpers.ACTION_CHECKBOX_NAME: [subject.pk],
            "index": "0",
            "confirm": "yes",  # past the confirmation pages
            "post": "yes",
            **ACTION_FORMS.get(name, {}),
        },
    )

    assert every_table() == before
    if refused.username == "nobody":
        assert (offered, response.status_code) == (False, 403)
    else:
        assert offered == reads
        assert response.status_code in (200, 302)


@pytest.mark.parametrize(("model", "pattern"), CUSTOM_URLS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_admin_url_writes_for_staff_who_may_only_view_or_nothing(world, refused, model, pattern, method):
    url = url_of(model, pattern, world)
    client = client_of(refused)  # logging in writes (the login log): before the tables are read
    before = every_table()

    response = client.post(url, URL_FORMS.get(pattern.name, {})) if method == "POST" else client.get(url)

    assert every_table() == before
    if refused.username == "viewer" and _reads_with_view_permission(pattern, method):
        assert response.status_code == 200
    else:
        # 405: a view that answers POST only refused the GET before anything ran.
        assert response.status_code in ((403,) if method == "POST" else (403, 405))


def test_staff_who_may_only_view_see_no_action_and_no_button_that_writes(world, viewer):
    client = client_of(viewer)
    season, definition, final = world[Season], world[LeaderboardDef], world[LeaderboardRun]

    seasons = client.get(changelist_of(Season)).content.decode()
    season_page = client.get(reverse("admin:seasons_season_change", args=[season.pk])).content.decode()
    definition_page = client.get(reverse("admin:leaderboards_leaderboarddef_change", args=[definition.pk]))
    run_page = client.get(reverse("admin:leaderboards_leaderboardrun_change", args=[final.pk])).content.decode()

    assert 'name="action"' not in seasons
    assert "Recompute progress</button>" not in season_page
    assert 'formaction="/admin/seasons/season/S1/preview/"' not in season_page  # it writes, then rolls back
    assert "Download CSV" in season_page
    assert "Generate a run…" not in definition_page.content.decode()
    assert "preview_url" in definition_page.context and "Preview</button>" in definition_page.content.decode()
    assert "Regenerate this final run" not in run_page
    assert "Download CSV" in run_page


def test_staff_who_may_only_view_can_download_and_preview_a_definition(world, viewer):
    client = client_of(viewer)
    definition, final = world[LeaderboardDef], world[LeaderboardRun]

    entries = client.get(reverse("admin:leaderboards_leaderboardrun_entries_csv", args=[final.pk]))
    progress = client.get(reverse("admin:seasons_season_progress_csv", args=[world[Season].pk]))
    preview = client.post(reverse("admin:leaderboards_leaderboarddef_preview", args=[definition.pk]), {})

    assert b"".join(entries.streaming_content).splitlines()[1].split(b",")[2] == b"alice"
    assert b"alice" in b"".join(progress.streaming_content)
    assert [row.cluster_id for row in preview.context["preview"].rows] == ["alice"]


# --- staff who may change still act (one test per admin with actions or views of its own) ---------------


def changer(*codenames):
    """A client of staff with exactly these permissions."""
    permissions = Permission.objects.filter(codename__in=codenames)
    return client_of(StaffUserFactory(username="changer", permissions=permissions))


def test_staff_who_may_change_definitions_generate_runs_by_action_and_by_page(world):
    client = changer("view_leaderboarddef", "change_leaderboarddef")
    definition = world[LeaderboardDef]

    client.post(
        changelist_of(LeaderboardDef), {"action": "generate_now", helpers.ACTION_CHECKBOX_NAME: [definition.pk]}
    )
    client.post(reverse("admin:leaderboards_leaderboarddef_generate", args=[definition.pk]), {})

    assert LeaderboardRun.objects.filter(leaderboard=definition, is_final=False).count() == 2


def test_staff_who_may_change_definitions_regenerate_a_final_run(world):
    client = changer("view_leaderboardrun", "change_leaderboarddef")
    final = world[LeaderboardRun]

    page = client.get(reverse("admin:leaderboards_leaderboardrun_change", args=[final.pk]))
    client.post(reverse("admin:leaderboards_leaderboardrun_regenerate", args=[final.pk]), {"note": "alice botted"})

    final.refresh_from_db()
    assert "Regenerate this final run" in page.content.decode()
    assert final.status == RunStatus.SUPERSEDED


def test_staff_who_may_change_seasons_recompute_fill_the_curve_and_preview(world):
    client = changer("view_season", "change_season")
    season = world[Season]

    client.post(
        changelist_of(Season),
        {"action": "fill_level_curve", helpers.ACTION_CHECKBOX_NAME: [season.pk], **ACTION_FORMS["fill_level_curve"]},
    )
    client.post(changelist_of(Season), {"action": "recompute_progress", helpers.ACTION_CHECKBOX_NAME: [season.pk]})
    SeasonProgress.objects.update(points=0)
    client.post(reverse("admin:seasons_season_recompute", args=[season.pk]))
    page = client.get(reverse("admin:seasons_season_change", args=[season.pk])).content.decode()

    assert list(SeasonLevel.objects.filter(season=season).values_list("points_required", flat=True)) == CURVE
    assert SeasonProgress.objects.get(season=season, cluster_id="alice").points == 220
    assert "Recompute progress</button>" in page
    assert 'formaction="/admin/seasons/season/S1/preview/"' in page


def test_staff_who_may_change_exclusions_lift_them(world):
    client = changer("view_exclusion", "change_exclusion")
    exclusion = world[Exclusion]

    client.post(changelist_of(Exclusion), {"action": "lift", helpers.ACTION_CHECKBOX_NAME: [exclusion.pk]})

    exclusion.refresh_from_db()
    assert exclusion.lifted_by.username == "changer"


def test_staff_who_may_delete_login_attempts_clean_up_the_expired_ones(world):
    client = changer("view_accessattempt", "delete_accessattempt")  # with an expired failed login

    client.post(
        changelist_of(AccessAttempt),
        {"action": "cleanup_expired_attempts", helpers.ACTION_CHECKBOX_NAME: [AccessAttempt.objects.get().pk]},
    )

    assert not AccessAttempt.objects.exists()


def test_staff_who_may_change_a_definition_may_open_a_past_version_to_revert_it(world):
    client = changer("view_leaderboarddef", "change_leaderboarddef")
    definition = world[LeaderboardDef]
    version = definition.history.order_by("history_id").first()
    url = reverse("admin:leaderboards_leaderboarddef_simple_history", args=[definition.pk, version.history_id])

    response = client.post(url, {"name": ""})  # an invalid form: shown again with its errors, not refused

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
