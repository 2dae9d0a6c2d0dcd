"""Staff exclude clusters in the admin (several at once), find them, filter them and lift them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leaderboards.models import Exclusion
from tests.factories import ExclusionFactory, LeaderboardDefFactory
from tests.helpers import messages_of

pytestmark = pytest.mark.django_db

ADD = reverse("admin:leaderboards_exclusion_add")
CHANGELIST = reverse("admin:leaderboards_exclusion_changelist")
HOUR = datetime.timedelta(hours=1)


def form(**fields) -> dict:
    # The admin's date-time widget posts the date and the time apart.
    return {
        "cluster_ids": "",
        "leaderboard": "",
        "reason": "Botting ring.",
        "expires_at_0": "",
        "expires_at_1": "",
        **fields,
    }


def listed(response) -> list[str]:
    return sorted(e.cluster_id for e in response.context["cl"].result_list)


def test_several_clusters_are_excluded_at_once_one_per_line(admin_client, admin_user, wins):
    ExclusionFactory(cluster_id="already")
    LeaderboardDefFactory(key="lb", challenge=wins)

    response = admin_client.post(
        ADD, form(cluster_ids="  alice\n\nbob\r\nalready\nalice\n", leaderboard="lb", reason=" Ring. ")
    )

    assert response.status_code == 302
    created = Exclusion.objects.filter(leaderboard_id="lb").order_by("cluster_id")
    assert [(e.cluster_id, e.reason, e.created_by) for e in created] == [
        ("alice", "Ring.", admin_user),
        ("already", "Ring.", admin_user),  # excluded from everything, not yet from this board
        ("bob", "Ring.", admin_user),
    ]
    [(level, text), *_] = messages_of(response)
    assert level == "success" and text.startswith("Excluded 3 cluster(s) from leaderboard lb.")


def test_a_cluster_already_excluded_from_the_same_scope_is_reported_not_duplicated(admin_client):
    ExclusionFactory(cluster_id="bob")

    response = admin_client.post(ADD, form(cluster_ids="alice\nbob"))

    assert Exclusion.objects.filter(cluster_id="bob").count() == 1
    assert ("warning", "Already excluded, left as they were: bob.") in messages_of(response)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"cluster_ids": "alice\n" + "x" * 129}, "line 2: "),
        ({"cluster_ids": " \n "}, "This field is required."),
        ({"cluster_ids": "alice", "reason": "   "}, "This field is required."),
        (
            {"cluster_ids": "alice", "expires_at_0": "2000-01-01", "expires_at_1": "00:00:00"},
            "An exclusion must expire in the future.",
        ),
    ],
    ids=["long id", "no ids", "blank reason", "expiry in the past"],
)
def test_a_bad_form_is_shown_with_its_error_and_nothing_is_excluded(admin_client, fields, error):
    response = admin_client.post(ADD, form(**fields))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Exclusion.objects.exists()


def test_exclusions_are_searched_by_cluster_id_and_filtered_by_status(admin_client, admin_user):
    now = timezone.now()
    ExclusionFactory(cluster_id="alice")
    ExclusionFactory(cluster_id="bob", lifted_at=now - HOUR, lifted_by=admin_user)
    ExclusionFactory(cluster_id="carol", created_at=now - 3 * HOUR, expires_at=now - HOUR)
    ExclusionFactory(cluster_id="alicia", expires_at=now + HOUR)

    assert listed(admin_client.get(CHANGELIST, {"q": "alic"})) == ["alice", "alicia"]
    assert listed(admin_client.get(CHANGELIST, {"status": "active"})) == ["alice", "alicia"]
    assert listed(admin_client.get(CHANGELIST, {"status": "lifted"})) == ["bob"]
    assert listed(admin_client.get(CHANGELIST, {"status": "expired"})) == ["carol"]


def test_the_lift_action_lifts_the_active_ones_and_keeps_every_row(admin_client, admin_user):
    now = timezone.now()
    active = ExclusionFactory(cluster_id="alice")
    expired = ExclusionFactory(cluster_id="carol", created_at=now - 3 * HOUR, expires_at=now - HOUR)

    response = admin_client.post(
        CHANGELIST, {"action": "lift", "_selected_action": [active.pk, expired.pk]}, follow=True
    )

    active.refresh_from_db()
    expired.refresh_from_db()
    assert (active.lifted_by, expired.lifted_by) == (admin_user, None)
    assert Exclusion.objects.count() == 2
    [(level, text), *_] = messages_of(response)
    assert level == "success" and "Lifted 1 exclusion(s); 1 were no longer active." in text
    # Lifting is in the exclusion's history, by the staff user.
    assert active.history.latest().history_user == admin_user


def test_an_exclusion_cannot_be_deleted_only_lifted(admin_client):
    exclusion = ExclusionFactory(cluster_id="alice")

    response = admin_client.post(reverse("admin:leaderboards_exclusion_delete", args=[exclusion.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Exclusion.objects.filter(pk=exclusion.pk).exists()
