"""PUT and DELETE /service/clusters/{clusterId}: the game's backend sets and clears a cluster's display name."""

import pytest

from profiles.models import ClusterProfile
from tests.factories import APIKeyFactory, ClusterProfileFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

AVATAR = "https://cdn.example.com/a.png"


@pytest.fixture
def key():
    return APIKeyFactory(name="game-backend")


@pytest.fixture
def service(client, key):
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {key.plain_key}"
    return client


def put(client, body, cluster_id="c1"):
    return client.put(f"/service/clusters/{cluster_id}", body, content_type="application/json")


def stored(cluster_id="c1"):
    return ClusterProfile.objects.filter(pk=cluster_id).values_list("display_name", "avatar_url").first()


def test_put_sets_the_name_and_avatar_and_records_the_key(service, key):
    response = put(service, {"displayName": "Nightowls", "avatarUrl": AVATAR})

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("clusterId", "displayName", "avatarUrl")} == {
        "clusterId": "c1",
        "displayName": "Nightowls",
        "avatarUrl": AVATAR,
    }
    assert body["updatedAt"]
    assert stored() == ("Nightowls", AVATAR)
    assert ClusterProfile.objects.get().api_key_id == key.pk


def test_the_name_is_trimmed(service):
    response = put(service, {"displayName": "  \u3000Nightowls \t"})

    assert response.json()["displayName"] == "Nightowls"
    assert stored() == ("Nightowls", None)


def test_a_name_of_64_characters_is_taken_and_65_refused_after_trimming(service):
    assert put(service, {"displayName": " " + "é" * 64 + " "}).status_code == 200

    response = put(service, {"displayName": "x" * 65})

    assert response.status_code == 400
    assert list(response.json()) == ["displayName"]
    assert stored() == ("é" * 64, None)


@pytest.mark.parametrize(
    "name",
    ["Night\nowls", "Night\x00owls", "Night\x1bowls", "Night\x7fowls", "Night\x85owls", "abc\u202etxt.exe", "a\u2028b"],
    ids=["newline", "nul", "escape", "delete", "c1 control", "rtl override", "line separator"],
)
def test_control_characters_are_a_400_naming_the_field_and_change_nothing(service, name):
    ClusterProfileFactory(cluster_id="c1", display_name="Before", avatar_url=None)

    response = put(service, {"displayName": name})

    assert response.status_code == 400
    assert list(response.json()) == ["displayName"]
    assert "Control characters" in response.json()["displayName"][0]
    assert stored() == ("Before", None)


def test_an_emoji_sequence_with_joiners_is_a_name(service):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 clan"

    assert put(service, {"displayName": family}).json()["displayName"] == family


@pytest.mark.parametrize("name", ["", "   ", 3, ["a"]])
def test_a_blank_or_non_string_name_is_a_400(service, name):
    response = put(service, {"displayName": name})

    assert (response.status_code, list(response.json())) == (400, ["displayName"])


@pytest.mark.parametrize(
    "url", ["http://cdn.example.com/a.png", "ftp://cdn.example.com/a.png", "javascript:alert(1)", "cdn/a.png"]
)
def test_an_avatar_that_is_not_https_is_a_400_naming_the_field(service, url):
    response = put(service, {"avatarUrl": url})

    assert response.status_code == 400
    assert response.json() == {"avatarUrl": ["Must be an https:// URL."]}
    assert not ClusterProfile.objects.exists()


def test_an_unknown_field_is_a_400(service):
    response = put(service, {"displayname": "Nightowls"})

    assert (response.status_code, list(response.json())) == (400, ["displayname"])


def test_the_same_put_again_is_idempotent_and_writes_no_history(service):
    first = put(service, {"displayName": "Nightowls", "avatarUrl": AVATAR}).json()

    again = put(service, {"displayName": " Nightowls ", "avatarUrl": AVATAR}).json()

    assert again == first
    assert ClusterProfile.history.count() == 1


def test_put_replaces_both_a_field_left_out_is_cleared(service):
    put(service, {"displayName": "Nightowls", "avatarUrl": AVATAR})

    response = put(service, {"displayName": "Larks"})

    assert response.json()["avatarUrl"] is None
    assert stored() == ("Larks", None)
    assert [h.history_type for h in ClusterProfile.history.order_by("history_id")] == ["+", "~"]


def test_put_of_nothing_clears_as_delete(service):
    put(service, {"displayName": "Nightowls"})

    response = put(service, {"displayName": None, "avatarUrl": None})

    assert response.status_code == 200
    assert response.json() == {"clusterId": "c1", "displayName": None, "avatarUrl": None, "updatedAt": None}
    assert not ClusterProfile.objects.exists()


def test_delete_clears_them_and_is_idempotent_and_audited(service, key):
    put(service, {"displayName": "Nightowls"})

    first = service.delete("/service/clusters/c1")
    again = service.delete("/service/clusters/c1/")

    assert (first.status_code, again.status_code) == (204, 204)
    assert not ClusterProfile.objects.exists()
    deleted = ClusterProfile.history.filter(history_type="-").get()
    assert deleted.display_name == "Nightowls"
    assert deleted.history_change_reason == f"service API key {key.prefix} (game-backend)"


def test_a_cluster_id_is_taken_verbatim_and_a_too_long_one_is_a_400(service):
    assert put(service, {"displayName": "Spaced"}, cluster_id="%20c1").json()["clusterId"] == " c1"

    response = put(service, {"displayName": "x"}, cluster_id="c" * 129)

    assert (response.status_code, list(response.json())) == (400, ["clusterId"])


@pytest.mark.parametrize("method", ["put", "delete"])
def test_without_a_valid_key_it_is_a_401_and_changes_nothing(client, method):
    ClusterProfileFactory(cluster_id="c1", display_name="Before", avatar_url=None)
    client.force_login(StaffUserFactory(is_superuser=True))  # a staff session is no key

    send = getattr(client, method)
    response = send("/service/clusters/c1", {"displayName": "After"}, content_type="application/json")
    client.defaults["HTTP_AUTHORIZATION"] = "Api-Key abcdefgh.abcdefghabcdefghabcdefghabcdefgh"
    unknown = send("/service/clusters/c1", {"displayName": "After"}, content_type="application/json")

    assert (response.status_code, unknown.status_code) == (401, 401)
    assert response["WWW-Authenticate"] == "Api-Key"
    assert stored() == ("Before", None)


def test_a_revoked_key_is_refused(client, key):
    key.revoked = True
    key.save()
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {key.plain_key}"

    assert put(client, {"displayName": "Nightowls"}).status_code == 401
    assert not ClusterProfile.objects.exists()


def test_the_database_refuses_an_empty_row_a_blank_or_long_name_and_a_plain_http_avatar(key):
    from django.db import IntegrityError, transaction

    for values in [
        {"display_name": None, "avatar_url": None},
        {"display_name": "", "avatar_url": None},
        {"display_name": None, "avatar_url": "http://cdn.example.com/a.png"},
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            ClusterProfileFactory(cluster_id="c1", api_key=key, **values)
