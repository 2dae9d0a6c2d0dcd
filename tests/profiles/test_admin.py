"""Staff: display names are listed read-only, and an abusive one is cleared by an action (issue #24)."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client

from profiles.models import ClusterProfile
from tests.factories import ClusterProfileFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

NAMES = "/admin/profiles/clusterprofile/"


def staff(*codenames):
    user = StaffUserFactory(permissions=Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client, user


def clear(client, *cluster_ids):
    return client.post(NAMES, {"action": "clear_names", "_selected_action": list(cluster_ids)}, follow=True)


def test_staff_who_may_delete_clear_an_abusive_name_and_the_history_says_who(api):
    ClusterProfileFactory(cluster_id="troll", display_name="Something abusive")
    ClusterProfileFactory(cluster_id="fine", display_name="Fine")
    client, user = staff("view_clusterprofile", "delete_clusterprofile")

    response = clear(client, "troll")

    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Cleared the display name and avatar of 1 cluster(s); they show their cluster ids now."
    ]
    assert list(ClusterProfile.objects.values_list("cluster_id", flat=True)) == ["fine"]
    cleared = ClusterProfile.history.get(history_type="-")
    assert (cleared.cluster_id, cleared.history_user, cleared.history_change_reason) == (
        "troll",
        user,
        "admin: Clear display name and avatar",
    )
    assert api.get("/clusters/troll").json()["displayName"] is None


def test_staff_who_may_only_view_see_the_names_but_cannot_clear_add_or_edit_them():
    ClusterProfileFactory(cluster_id="troll", display_name="Something abusive")
    client, _ = staff("view_clusterprofile")

    listing = client.get(NAMES, {"q": "abusive"})
    clear(client, "troll")

    assert listing.status_code == 200 and "troll" in listing.content.decode()
    assert ClusterProfile.objects.filter(pk="troll").exists()
    assert client.get(f"{NAMES}add/").status_code == 403
    assert client.post(f"{NAMES}troll/change/", {"display_name": "Mine"}).status_code == 403
    assert ClusterProfile.objects.get().display_name == "Something abusive"


def test_the_list_offers_only_the_clear_action(api):
    client, _ = staff("view_clusterprofile", "delete_clusterprofile")
    ClusterProfileFactory(cluster_id="troll")

    actions = client.get(NAMES).context["action_form"].fields["action"].choices

    assert [name for name, _ in actions if name] == ["clear_names"]
