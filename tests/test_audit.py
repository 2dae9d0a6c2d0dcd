"""The audit trail: staff changes are recorded with who, when and before/after (admin: History), and
changes made by a command are attributed to the command."""

import pytest
from django import forms
from django.core.management import call_command
from django.urls import reverse

from hedge.challenges.models import Challenge
from hedge.core.audit import changes_attributed_to
from leaderboards.models import Exclusion, LeaderboardDef
from tests.factories import (
    ChallengeFactory,
    ExclusionFactory,
    LeaderboardDefFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
)

pytestmark = pytest.mark.django_db


def form_values(form) -> dict:
    """What a browser would post for `form` as shown."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value, key = form[name].value(), form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(field.widget, forms.MultiWidget):  # the admin's date-time: a date and a time
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{key}_{index}"] = "" if part is None else str(part)
        else:
            data[key] = "" if value is None else value
    return data


def post_change_form(client, url: str, **changes):
    """Submit the admin change form at `url` as shown (with its inlines), with `changes` (by posted name)."""
    context = client.get(url).context
    data = form_values(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(form_values(formset.management_form))
        data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)  # no blank extra forms
        for form in formset.initial_forms:
            data.update(form_values(form))
    data.update(changes)
    return client.post(url, data)


def test_a_staff_edit_of_a_definition_is_recorded_with_who_and_the_change(admin_client, admin_user):
    definition = LeaderboardDefFactory(key="lb", name="PvP wins", challenge=ChallengeFactory(code="wins"))
    url = reverse("admin:leaderboards_leaderboarddef_change", args=[definition.pk])

    response = post_change_form(admin_client, url, name="PvP wins (season 2)", max_entries=50)

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = definition.history.latest()
    assert (latest.history_type, latest.history_user) == ("~", admin_user)
    delta = latest.diff_against(latest.prev_record)
    assert {(c.field, c.old, c.new) for c in delta.changes} == {
        ("name", "PvP wins", "PvP wins (season 2)"),
        ("max_entries", 1000, 50),
    }
    history = admin_client.get(reverse("admin:leaderboards_leaderboarddef_history", args=[definition.pk]))
    page = history.content.decode()
    assert "PvP wins (season 2)" in page and "<strong>Max entries:</strong>" in page and admin_user.username in page


def test_a_staff_edit_of_an_exclusion_is_recorded(admin_client, admin_user):
    exclusion = ExclusionFactory(cluster_id="alice", reason="Suspected.")
    url = reverse("admin:leaderboards_exclusion_change", args=[exclusion.pk])

    response = post_change_form(admin_client, url, reason="Confirmed: botting.")

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = exclusion.history.latest()
    assert (latest.reason, latest.history_user, latest.prev_record.reason) == (
        "Confirmed: botting.",
        admin_user,
        "Suspected.",
    )


def test_a_staff_edit_of_a_season_and_its_weights_is_recorded_with_who(admin_client, admin_user):
    season = SeasonFactory(id="S1", name="Season one")
    weight = SeasonChallengeWeightFactory(season=season, challenge=ChallengeFactory(code="wins"), weight=2)
    url = reverse("admin:seasons_season_change", args=[season.pk])
    prefix = "weights-0"

    response = post_change_form(admin_client, url, name="Season one (extended)", **{f"{prefix}-weight": "5"})

    assert response.status_code == 302, [f.errors for i in response.context["inline_admin_formsets"] for f in i.formset]
    season_row, weight_row = season.history.latest(), weight.history.latest()
    assert (season_row.name, season_row.prev_record.name, season_row.history_user) == (
        "Season one (extended)",
        "Season one",
        admin_user,
    )
    assert (weight_row.weight, weight_row.prev_record.weight, weight_row.history_user) == (5, 2, admin_user)
    history = admin_client.get(reverse("admin:seasons_season_history", args=[season.pk])).content.decode()
    assert "Season one (extended)" in history
    # The weight's own page (linked from the season's "change history") shows its change with who made it.
    season_page = admin_client.get(url).content.decode()
    weights_list = reverse("admin:seasons_seasonchallengeweight_changelist")
    assert f"{weights_list}?season__id__exact=S1" in season_page
    weight_history = admin_client.get(
        reverse("admin:seasons_seasonchallengeweight_history", args=[weight.pk])
    ).content.decode()
    assert "Weight" in weight_history and admin_user.username in weight_history


def test_exclusions_added_in_the_admin_each_have_a_history_row_by_the_staff_user(admin_client, admin_user):
    admin_client.post(
        reverse("admin:leaderboards_exclusion_add"),
        {"cluster_ids": "a\nb", "leaderboard": "", "reason": "Ring.", "expires_at_0": "", "expires_at_1": ""},
    )

    rows = Exclusion.history.order_by("cluster_id")
    assert [(r.cluster_id, r.history_type, r.history_user) for r in rows] == [
        ("a", "+", admin_user),
        ("b", "+", admin_user),
    ]


def test_changes_made_by_a_command_are_attributed_to_it(capsys):
    from django.core.management import call_command

    call_command("quickstart", no_serve=True, clusters=50, verbosity=0)

    created = LeaderboardDef.history.filter(history_type="+")
    assert created.exists()
    assert set(created.values_list("history_change_reason", "history_user")) == {("command quickstart", None)}


def test_changes_outside_a_command_or_request_have_no_attribution():
    definition = LeaderboardDefFactory(challenge=ChallengeFactory(code="wins"))
    with changes_attributed_to("command sync_challenge_config"):
        definition.name = "renamed"
        definition.save()

    reasons = list(definition.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == [None, "command sync_challenge_config"]


def test_catalogue_changes_by_sync_challenge_config_are_recorded_and_attributed_to_it(db, admin_client):
    call_command("sync_challenge_config", verbosity=0)
    challenge = Challenge.objects.order_by("code").first()
    Challenge.objects.filter(pk=challenge.pk).update(name="Renamed by hand")

    call_command("sync_challenge_config", verbosity=0)

    latest = Challenge.objects.get(pk=challenge.pk).history.latest()
    assert (latest.history_type, latest.history_change_reason, latest.history_user) == (
        "~",
        "command sync_challenge_config",
        None,
    )
    assert latest.prev_record.history_type == "+"
    page = admin_client.get(reverse("admin:challenges_challenge_history", args=[challenge.pk])).content.decode()
    assert "command sync_challenge_config" in page
