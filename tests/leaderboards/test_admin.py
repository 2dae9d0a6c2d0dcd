import pytest
from django.contrib import admin
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hedge.challenges.models import Challenge
from hedge.core.admin import LargeTableAdmin
from leaderboards.admin import definitions as leaderboards_admin
from leaderboards.models import LeaderboardDef, LeaderboardEntry, LeaderboardRun, RunStatus
from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory, given_progress
from tests.helpers import definition_form, messages_of

pytestmark = pytest.mark.django_db

DEF_CHANGELIST = reverse("admin:leaderboards_leaderboarddef_changelist")
DEF_ADD = reverse("admin:leaderboards_leaderboarddef_add")
RUNS = reverse("admin:leaderboards_leaderboardrun_changelist")
ENTRIES = reverse("admin:leaderboards_leaderboardentry_changelist")


def test_admin_pages_need_a_staff_login(client):
    response = client.get(DEF_CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_definition_changelist_shows_each_last_run_with_a_fixed_number_of_queries(admin_client, wins):
    def changelist_queries():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(DEF_CHANGELIST)
        assert response.status_code == 200
        return response, len(queries)

    first = LeaderboardDefFactory(key="lb_first", challenge=wins)
    LeaderboardRunFactory(leaderboard=first, status="FAILED", row_count=0)
    _, with_one = changelist_queries()
    for n in range(4):
        LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key=f"lb_more_{n}", challenge=wins), row_count=7)
    response, with_five = changelist_queries()

    assert with_five == with_one
    assert b"lb_more_3" in response.content and b"FAILED" in response.content


def test_the_changelist_can_be_searched_and_filtered(admin_client, wins):
    LeaderboardDefFactory(key="lb_wins", challenge=wins)
    LeaderboardDefFactory(key="lb_paused", challenge=wins, is_active=False)

    searched = admin_client.get(DEF_CHANGELIST, {"q": "paused"})
    filtered = admin_client.get(DEF_CHANGELIST, {"is_active__exact": "1"})

    assert b"lb_paused" in searched.content and b"lb_wins" not in searched.content
    assert b"lb_wins" in filtered.content and b"lb_paused" not in filtered.content


def test_a_valid_definition_is_added_from_the_form(admin_client, catalogue):
    response = admin_client.post(DEF_ADD, definition_form(challenge="pvp_wins", fallback="pvp_best_streak"))

    assert response.status_code == 302
    definition = LeaderboardDef.objects.get(key="lb_pvp_alltime_wins")
    stored = ("category_key", "metric_source", "metric_key", "fallback_metric_key")
    assert tuple(getattr(definition, name) for name in stored) == (
        "pvp_competition",
        "onchain_pvp",
        "wins",
        "best_streak",
    )


def test_a_definition_without_a_fallback_stores_null(admin_client, catalogue):
    admin_client.post(DEF_ADD, definition_form())

    assert LeaderboardDef.objects.get().fallback_metric_key is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"challenge": ""}, "challenge", "Pick the challenge the board ranks"),
        ({"challenge": "pvp_wins", "fallback": "pvp_wins"}, "fallback_challenge", "must differ from the challenge"),
        (
            {"challenge": "pvp_wins", "fallback": "hero_collector"},
            "fallback_challenge",
            "must be in the challenge's category and metric source (pvp_competition / onchain_pvp); hero_collector is",
        ),
        ({"key": "Not A Slug"}, "key", "Use lowercase letters, digits"),
    ],
)
def test_an_invalid_definition_is_shown_as_a_form_error(admin_client, catalogue, fields, field, message):
    response = admin_client.post(DEF_ADD, definition_form(**fields))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in error for error in errors[field]), errors
    assert not LeaderboardDef.objects.exists()


def test_the_challenge_is_picked_by_name_from_the_active_catalogue(admin_client, catalogue):
    Challenge.objects.filter(code="lp_days").update(is_active=False)

    page = admin_client.get(DEF_ADD)

    choices = dict(page.context["adminform"].form.fields["challenge"].choices)
    labels = [str(label) for label in choices.values()]
    assert "Arena Champion (pvp_wins) · pvp_competition" in labels
    assert not any("(lp_days)" in label for label in labels)
    for stored in ("category_key", "metric_source", "metric_key"):
        assert f'name="{stored}"' not in page.content.decode()


def test_a_definition_whose_challenge_was_deactivated_can_still_be_deactivated(admin_client, wins):
    definition = LeaderboardDefFactory(key="lb_wins", challenge=wins)
    Challenge.objects.filter(pk=wins.pk).update(is_active=False)
    url = reverse("admin:leaderboards_leaderboarddef_change", args=[definition.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, definition_form(challenge=wins, key="lb_wins", is_active=""))

    assert page.context["adminform"].form.initial["challenge"] == wins.pk
    assert response.status_code == 302, response.context["adminform"].form.errors
    definition.refresh_from_db()
    assert definition.is_active is False


def test_an_active_definition_of_a_deactivated_challenge_is_refused_on_the_challenge_field(admin_client, wins):
    definition = LeaderboardDefFactory(key="lb_wins", challenge=wins, is_active=False)
    Challenge.objects.filter(pk=wins.pk).update(is_active=False)
    url = reverse("admin:leaderboards_leaderboarddef_change", args=[definition.pk])

    response = admin_client.post(url, definition_form(challenge=wins, key="lb_wins", is_active="on", name="Renamed"))

    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["challenge"]
    assert "resolves only to the inactive challenge(s) wins" in message
    definition.refresh_from_db()
    assert (definition.is_active, definition.name) == (False, f"Leaderboard {definition.key}")


def test_the_key_is_read_only_once_created(admin_client, wins):
    definition = LeaderboardDefFactory(key="lb_wins", challenge=wins, name="Old")
    url = reverse("admin:leaderboards_leaderboarddef_change", args=[definition.pk])
    fields = definition_form(key="renamed", name="New", challenge=wins)

    page = admin_client.get(url)
    response = admin_client.post(url, fields)

    assert b'name="key"' not in page.content
    assert response.status_code == 302
    definition.refresh_from_db()
    assert (definition.key, definition.name) == ("lb_wins", "New")


def test_the_generate_action_runs_each_selected_leaderboard_and_reports_it(admin_client, wins):
    given_progress(wins, {"alice": 3, "bob": 2})
    ready = LeaderboardDefFactory(key="lb_ready", challenge=wins)
    paused = LeaderboardDefFactory(key="lb_paused", challenge=wins, is_active=False)

    response = admin_client.post(
        DEF_CHANGELIST, {"action": "generate_now", "_selected_action": [ready.pk, paused.pk]}, follow=True
    )

    run = LeaderboardRun.objects.get(leaderboard=ready)
    assert (run.status, run.row_count) == (RunStatus.COMPLETE, 2)
    assert not LeaderboardRun.objects.filter(leaderboard=paused).exists()
    assert messages_of(response) == [
        ("error", "lb_paused: Leaderboard 'lb_paused' is inactive; activate it or force the run."),
        (
            "success",
            f"lb_ready: run {run.pk} COMPLETE, 2 rows (period 1970-01-01 00:00 – {run.period_end:%Y-%m-%d %H:%M} UTC).",
        ),
    ]


def test_the_forced_generate_action_also_runs_inactive_leaderboards(admin_client, wins):
    paused = LeaderboardDefFactory(key="lb_paused", challenge=wins, is_active=False)

    admin_client.post(DEF_CHANGELIST, {"action": "generate_now_forced", "_selected_action": [paused.pk]})

    assert LeaderboardRun.objects.get(leaderboard=paused).status == RunStatus.COMPLETE


def test_a_failing_generation_is_reported_as_an_error(admin_client, wins):
    definition = LeaderboardDefFactory(key="lb_season", challenge=wins, time_window="SEASON")

    response = admin_client.post(
        DEF_CHANGELIST, {"action": "generate_now", "_selected_action": [definition.pk]}, follow=True
    )

    [(level, message)] = messages_of(response)
    assert level == "error" and message.startswith("lb_season: No season is active")


def test_the_run_page_shows_its_error_and_its_top_entries_with_a_link_to_all(admin_client, wins):
    given_progress(wins, {f"cluster-{n:03d}": n for n in range(60)})
    LeaderboardDefFactory(key="lb_wins", challenge=wins)
    run = generate_leaderboard_run("lb_wins")
    failed = LeaderboardRunFactory(leaderboard=run.leaderboard, status="FAILED", error="ProgrammingError: boom")

    page = admin_client.get(reverse("admin:leaderboards_leaderboardrun_change", args=[run.pk]))
    failed_page = admin_client.get(reverse("admin:leaderboards_leaderboardrun_change", args=[failed.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert content.count("<tr><td>") == 50
    assert "cluster-059" in content and "cluster-009" not in content
    assert f"?run__id__exact={run.pk}" in content and "all 60 entries" in content
    assert "ProgrammingError: boom" in failed_page.content.decode()


def test_runs_and_entries_are_read_only_and_their_lists_load(admin_client, wins):
    given_progress(wins, {"alice": 3, "bob": 2})
    LeaderboardDefFactory(key="lb_wins", challenge=wins)
    run = generate_leaderboard_run("lb_wins")
    entry = run.entries.get(position=1)

    runs = admin_client.get(reverse("admin:leaderboards_leaderboardrun_changelist"), {"status__exact": "COMPLETE"})
    by_leaderboard = admin_client.get(
        reverse("admin:leaderboards_leaderboardrun_changelist"), {"leaderboard__key__exact": "lb_wins"}
    )
    entries = admin_client.get(reverse("admin:leaderboards_leaderboardentry_changelist"), {"run__id__exact": run.pk})
    entry_page = admin_client.get(reverse("admin:leaderboards_leaderboardentry_change", args=[entry.pk]))

    assert runs.status_code == by_leaderboard.status_code == entries.status_code == entry_page.status_code == 200
    assert b"alice" in entries.content and b"bob" in entries.content
    assert admin_client.get(reverse("admin:leaderboards_leaderboardrun_add")).status_code == 403
    assert admin_client.get(reverse("admin:leaderboards_leaderboardentry_add")).status_code == 403
    delete = admin_client.post(reverse("admin:leaderboards_leaderboardrun_delete", args=[run.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert LeaderboardRun.objects.filter(pk=run.pk).exists()


def test_the_definition_page_links_to_its_runs(admin_client, wins):
    definition = LeaderboardDefFactory(key="lb_wins", challenge=wins)

    page = admin_client.get(reverse("admin:leaderboards_leaderboarddef_change", args=[definition.pk]))

    assert "?leaderboard__key__exact=lb_wins" in page.content.decode()


def test_a_database_error_during_generation_is_reported_and_the_others_still_run(admin_client, wins, monkeypatch):
    locked = LeaderboardDefFactory(key="lb_locked", challenge=wins)
    ready = LeaderboardDefFactory(key="lb_ready", challenge=wins)

    def generate(key, **options):
        if key == "lb_locked":
            raise OperationalError("database is locked")
        return generate_leaderboard_run(key, **options)

    monkeypatch.setattr(leaderboards_admin, "generate_leaderboard_run", generate)

    response = admin_client.post(
        DEF_CHANGELIST, {"action": "generate_now", "_selected_action": [locked.pk, ready.pk]}, follow=True
    )

    assert response.status_code == 200
    [(level, message), (ok_level, _)] = messages_of(response)
    assert (level, message) == ("error", "lb_locked: database error: OperationalError: database is locked")
    assert ok_level == "success"
    assert LeaderboardRun.objects.get().leaderboard_id == "lb_ready"


def test_runs_and_entries_use_the_large_table_admin():
    assert isinstance(admin.site._registry[LeaderboardRun], LargeTableAdmin)
    assert isinstance(admin.site._registry[LeaderboardEntry], LargeTableAdmin)


def test_the_entry_list_without_a_run_shows_the_newest_completed_run(admin_client, wins):
    definition = LeaderboardDefFactory(key="lb_wins", challenge=wins)
    LeaderboardRunFactory(leaderboard=definition)
    newest = LeaderboardRunFactory(leaderboard=definition)
    LeaderboardRunFactory(leaderboard=definition, status="PROCESSING")

    response = admin_client.get(ENTRIES, {"q": "alice"})

    assert response.status_code == 302
    assert response["Location"] == f"{ENTRIES}?q=alice&run__id__exact={newest.pk}"


def test_the_entry_list_without_any_completed_run_sends_staff_to_the_runs(admin_client, wins):
    response = admin_client.get(ENTRIES, follow=True)

    assert response.redirect_chain == [(RUNS, 302)]
    assert messages_of(response) == [("info", "There are no completed runs, so there are no entries to show.")]


def test_the_entry_list_of_a_run_is_read_by_index_with_a_fixed_number_of_queries(admin_client, wins):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb_wins", challenge=wins))
    other = LeaderboardRunFactory(leaderboard=run.leaderboard)

    def entry_list():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(ENTRIES, {"run__id__exact": run.pk})
        assert response.status_code == 200
        return response, [query["sql"] for query in queries]

    LeaderboardEntryFactory(run=run, cluster_id="alice")
    _, with_one = entry_list()
    LeaderboardEntryFactory.create_batch(150, run=run)
    LeaderboardEntryFactory.create_batch(5, run=other)
    response, with_many = entry_list()

    assert len(with_many) == len(with_one)
    [listing] = [sql for sql in with_many if sql.startswith('SELECT "leaderboard_entries"."id", ')]
    # Equality on run_id, then position ascending: the (run, position) unique index, no sort.
    assert f'WHERE "leaderboard_entries"."run_id" = {run.pk} ORDER BY "leaderboard_entries"."run_id" ASC,' in listing
    assert listing.endswith('"leaderboard_entries"."position" ASC LIMIT 100')
    assert b"151 leaderboard entries" in response.content


def test_searching_entries_finds_a_cluster_id_exactly(admin_client, wins):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb_wins", challenge=wins))
    LeaderboardEntryFactory(run=run, cluster_id="alice", position=1)
    LeaderboardEntryFactory(run=run, cluster_id="alice-2", position=2)

    found = admin_client.get(ENTRIES, {"run__id__exact": run.pk, "q": "alice"})
    other_case = admin_client.get(ENTRIES, {"run__id__exact": run.pk, "q": "ALICE"})

    assert b"1 leaderboard entry" in found.content and b"alice-2" not in found.content
    assert b"0 leaderboard entries" in other_case.content


def definition_with_entries(wins, entries: int) -> LeaderboardDef:
    definition = LeaderboardDefFactory(challenge=wins)
    run = LeaderboardRunFactory(leaderboard=definition, row_count=entries)
    LeaderboardEntryFactory.create_batch(entries, run=run)
    return definition


def test_a_definition_with_runs_cannot_be_deleted_and_its_delete_page_loads_nothing(admin_client, wins):
    def delete_page(definition):
        url = reverse("admin:leaderboards_leaderboarddef_delete", args=[definition.pk])
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.post(url, {"post": "yes"})
        return response, len(queries)

    small, small_queries = delete_page(definition_with_entries(wins, 1))
    large, large_queries = delete_page(definition := definition_with_entries(wins, 200))

    assert small.status_code == large.status_code == 403
    assert small_queries == large_queries
    assert LeaderboardDef.objects.filter(pk=definition.pk).exists()
    change_page = admin_client.get(reverse("admin:leaderboards_leaderboarddef_change", args=[definition.pk]))
    assert b"deletelink" not in change_page.content


def test_the_definitions_list_offers_no_delete_selected_action_and_refuses_one_posted(admin_client, wins):
    definition = definition_with_entries(wins, 1)

    page = admin_client.get(DEF_CHANGELIST)
    posted = admin_client.post(DEF_CHANGELIST, {"action": "delete_selected", "_selected_action": [definition.pk]})

    assert b"Delete selected" not in page.content
    assert b'value="generate_now"' in page.content  # the other actions stay
    assert posted.status_code == 302  # "No action selected": nothing happens
    assert LeaderboardDef.objects.filter(pk=definition.pk).exists()


def test_a_definition_without_runs_can_be_deleted(admin_client, wins):
    definition = LeaderboardDefFactory(challenge=wins)
    url = reverse("admin:leaderboards_leaderboarddef_delete", args=[definition.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert response.status_code == 302
    assert not LeaderboardDef.objects.filter(pk=definition.pk).exists()
