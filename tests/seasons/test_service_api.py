"""POST /service/seasons/{id}/premium, POST and GET /service/seasons/{id}/claims: keys, codes, bodies, queries."""

import datetime

import pytest
from django.utils import timezone

from seasons.models import PremiumGrant, RewardClaim
from tests.factories import (
    APIKeyFactory,
    ExclusionFactory,
    LeaderboardDefFactory,
    PremiumGrantFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(client, key):
    """The test client sending the service key."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {key.plain_key}"
    return client


@pytest.fixture
def season():
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    SeasonRewardFactory(season=season, track="FREE", level=2, name="Bronze", kind="badge")
    SeasonRewardFactory(season=season, track="PREMIUM", level=2, name="Gold", kind="token", quantity=50, data={"t": 1})
    SeasonProgressFactory(season=season, cluster_id="c1", points=250)
    return season


def claim(client, body, season_id="S1"):
    return client.post(f"/service/seasons/{season_id}/claims", body, content_type="application/json")


def premium(client, body, season_id="S1"):
    return client.post(f"/service/seasons/{season_id}/premium", body, content_type="application/json")


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Api-Key abc", "Malformed API key."),
        ("Api-Key abcdefgh.abcdefghabcdefghabcdefghabcdefgh", "Unknown or revoked API key."),
        ("Bearer whatever", "Authentication credentials were not provided."),
        ("Api-Key a\x00cdefgh.abcdefghabcdefghabcdefghabcdefgh", "Malformed API key."),
    ],
    ids=["none", "malformed", "unknown", "other scheme", "nul"],
)
def test_a_request_without_a_valid_key_is_a_401_and_writes_nothing(client, season, header, detail):
    if header is not None:
        client.defaults["HTTP_AUTHORIZATION"] = header

    response = claim(client, {"clusterId": "c1", "track": "FREE", "level": 2})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {"detail": detail}
    assert not RewardClaim.objects.exists()


def test_a_revoked_key_is_refused(client, season, key):
    key.revoked = True
    key.save()
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {key.plain_key}"

    response = premium(client, {"clusterId": "c1", "reference": "pay-1", "source": "stripe"})

    assert (response.status_code, response.json()) == (401, {"detail": "Unknown or revoked API key."})


def test_an_expired_key_is_refused(client, season):
    expired = APIKeyFactory(expiry_date=timezone.now() - datetime.timedelta(minutes=1))
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {expired.plain_key}"

    response = client.get("/service/seasons/S1/claims", {"clusterId": "c1"})

    assert (response.status_code, response.json()) == (401, {"detail": "This API key has expired."})


def test_keys_are_stored_hashed(key):
    assert key.plain_key not in key.hashed_key and key.hashed_key.startswith("sha512$$")


def test_the_public_endpoints_stay_anonymous(client, season):
    assert client.get("/seasons/S1/rewards", {"clusterId": "c1"}).status_code == 200


# --- claims --------------------------------------------------------------------------------------


def test_a_claim_is_201_with_the_rewards_then_200_with_the_same_claim(service, season, key, django_assert_num_queries):
    with django_assert_num_queries(14):
        # the key by prefix; the season; the level's rewards; no claim yet; is the cluster excluded; then
        # in a transaction (a savepoint here, and its release): the progress row locked, the curve, and the insert in
        # its own savepoint (3), with its reward.claimed event and the event's deliveries (2, no endpoint: no NOTIFY)
        first = claim(service, {"clusterId": "c1", "track": "FREE", "level": 2})
    with django_assert_num_queries(4):  # the key; the season; the level's rewards; the existing claim
        again = claim(service, {"clusterId": "c1", "track": "FREE", "level": 2})

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    body = first.json()
    assert body.pop("claimedAt")
    assert body == {
        "seasonId": "S1",
        "clusterId": "c1",
        "track": "FREE",
        "level": 2,
        "levelAtClaim": 2,
        "pointsAtClaim": 250,
        "rewards": [{"name": "Bronze", "description": "", "kind": "badge", "quantity": 1, "data": {}}],
    }
    assert RewardClaim.objects.get().api_key_id == key.pk


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"clusterId": "c2", "track": "FREE", "level": 2}, "level_not_reached"),
        ({"clusterId": "c1", "track": "PREMIUM", "level": 2}, "premium_required"),
    ],
)
def test_a_refused_claim_is_a_409_with_its_reason(service, season, body, reason):
    response = claim(service, body)

    assert response.status_code == 409
    assert response.json()["reason"] == reason
    assert response.json()["detail"]
    assert not RewardClaim.objects.exists()


def test_a_cluster_excluded_from_everything_cannot_claim_until_the_exclusion_is_lifted(service, season):
    exclusion = ExclusionFactory(cluster_id="c1")
    ExclusionFactory(cluster_id="c1", leaderboard=LeaderboardDefFactory(key="lb_other"))  # one board only: no effect

    refused = claim(service, {"clusterId": "c1", "track": "FREE", "level": 2})

    assert (refused.status_code, refused.json()["reason"]) == (409, "excluded")
    assert not RewardClaim.objects.exists()
    exclusion.lifted_at = timezone.now()
    exclusion.save()
    assert claim(service, {"clusterId": "c1", "track": "FREE", "level": 2}).status_code == 201


def test_a_claim_after_claims_closed_is_a_409(service):
    now = timezone.now()
    season = SeasonFactory(
        id="OLD", starts_at=now - datetime.timedelta(days=50), ends_at=now - datetime.timedelta(days=20)
    )
    SeasonRewardFactory(season=season, level=1)
    SeasonProgressFactory(season=season, cluster_id="c1", points=5000)

    response = claim(service, {"clusterId": "c1", "track": "FREE", "level": 1}, season_id="OLD")

    assert (response.status_code, response.json()["reason"]) == (409, "claims_closed")


def test_premium_then_a_premium_claim(service, season):
    assert premium(service, {"clusterId": "c1", "reference": "pay-1", "source": "stripe"}).status_code == 201

    response = claim(service, {"clusterId": "c1", "track": "PREMIUM", "level": 2})

    assert response.status_code == 201
    assert response.json()["rewards"] == [
        {"name": "Gold", "description": "", "kind": "token", "quantity": 50, "data": {"t": 1}}
    ]


@pytest.mark.parametrize(
    ("season_id", "body", "detail"),
    [
        ("S9", {"clusterId": "c1", "track": "FREE", "level": 2}, "Season 'S9' does not exist."),
        ("bad%00id", {"clusterId": "c1", "track": "FREE", "level": 2}, "Season 'bad\\x00id' does not exist."),
        ("S1", {"clusterId": "c1", "track": "FREE", "level": 3}, "Season S1 has no FREE reward at level 3."),
    ],
    ids=["unknown season", "impossible id", "level without rewards"],
)
def test_an_unknown_season_or_level_is_a_404(service, season, season_id, body, detail):
    response = claim(service, body, season_id=season_id)

    assert (response.status_code, response.json()) == (404, {"detail": detail})


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"clusterId", "track", "level"}),
        ({"clusterId": "", "track": "FREE", "level": 1}, {"clusterId"}),
        ({"clusterId": "c1", "track": "GOLD", "level": 1}, {"track"}),
        ({"clusterId": "c1", "track": "FREE", "level": 0}, {"level"}),
        ({"clusterId": "c1", "track": "FREE", "level": "two"}, {"level"}),
        ({"clusterId": "c1", "track": "FREE", "level": 2**40}, {"level"}),
        ({"clusterId": "x" * 129, "track": "FREE", "level": 1}, {"clusterId"}),
    ],
)
def test_a_malformed_claim_is_a_400_naming_each_bad_field(service, season, body, errors):
    response = claim(service, body)

    assert response.status_code == 400
    assert set(response.json()) == errors


NOT_AN_INTEGER = "Must be a JSON integer (digits only, e.g. 3), not"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"clusterId": "c1", "track": "FREE", "level": "2"}, "level", f"{NOT_AN_INTEGER} a string."),
        (
            {"clusterId": "c1", "track": "FREE", "level": 2.0},
            "level",
            f"{NOT_AN_INTEGER} a number with a fraction or an exponent.",
        ),
        ({"clusterId": "c1", "track": "FREE", "level": True}, "level", f"{NOT_AN_INTEGER} true or false."),
        ({"clusterId": 1, "track": "FREE", "level": 2}, "clusterId", "Must be a string, not a number."),
        ({"clusterId": ["c1"], "track": "FREE", "level": 2}, "clusterId", "Must be a string, not an array."),
        ({"clusterId": "c1", "track": 0, "level": 2}, "track", "Must be a string, not a number."),
        ({"clusterID": "c1", "clusterId": "c1", "track": "FREE", "level": 2}, "clusterID", "Unknown field."),
    ],
)  # fmt: skip
def test_a_claim_field_of_another_json_type_or_an_unknown_field_is_a_400_naming_it(
    service, season, body, field, message
):
    response = claim(service, body)

    assert (response.status_code, response.json()) == (400, {field: [message]})
    assert not RewardClaim.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"clusterId": "c1", "reference": "pay-1", "source": 0}, "source", "Must be a string, not a number."),
        ({"clusterId": "c1", "reference": 2**63, "source": "stripe"}, "reference", "Must be a string, not a number."),
        ({"clusterId": "c1", "reference": "pay-1", "source": "stripe", "amount": 5}, "amount", "Unknown field."),
    ],
)
def test_a_premium_field_of_another_json_type_or_an_unknown_field_is_a_400_naming_it(
    service, season, body, field, message
):
    response = premium(service, body)

    assert (response.status_code, response.json()) == (400, {field: [message]})
    assert not PremiumGrant.objects.exists()


def test_a_cluster_id_is_taken_verbatim_by_the_service_api_as_by_the_public_one(service, season):
    SeasonProgressFactory(season=season, cluster_id=" c1", points=250)

    response = claim(service, {"clusterId": " c1", "track": "FREE", "level": 2})

    assert (response.status_code, response.json()["clusterId"]) == (201, " c1")
    assert list(RewardClaim.objects.values_list("cluster_id", flat=True)) == [" c1"]


def test_a_premium_reference_is_stored_verbatim_not_trimmed(service, season):
    response = premium(service, {"clusterId": "c1", "reference": " pay-1 ", "source": "stripe"})

    assert (response.status_code, response.json()["reference"]) == (201, " pay-1 ")
    assert PremiumGrant.objects.get().reference == " pay-1 "


def test_a_body_that_is_not_json_is_a_400(service, season):
    response = service.post("/service/seasons/S1/claims", "not json", content_type="application/json")

    assert response.status_code == 400


def test_the_claims_of_a_cluster_are_listed(service, season, django_assert_num_queries):
    SeasonProgressFactory(season=season, cluster_id="c2", points=900)
    claim(service, {"clusterId": "c1", "track": "FREE", "level": 2})
    claim(service, {"clusterId": "c2", "track": "FREE", "level": 2})

    with django_assert_num_queries(3):  # the key, the season, the claims
        response = service.get("/service/seasons/S1/claims/", {"clusterId": "c1"})

    assert response.status_code == 200
    assert [(c["clusterId"], c["track"], c["level"]) for c in response.json()["results"]] == [("c1", "FREE", 2)]


def test_listing_claims_needs_the_cluster(service, season):
    response = service.get("/service/seasons/S1/claims")

    assert (response.status_code, response.json()) == (400, {"clusterId": ["This field is required."]})


# --- premium -------------------------------------------------------------------------------------


def test_premium_is_201_then_200_with_the_same_grant_for_the_same_reference(service, season, key):
    body = {"clusterId": "c1", "reference": "pay-1", "source": "stripe"}

    first, again = premium(service, body), premium(service, body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["reference"] == "pay-1" and first.json()["clusterId"] == "c1"
    assert PremiumGrant.objects.get().api_key_id == key.pk


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"clusterId": "c2", "reference": "pay-1", "source": "stripe"}, "reference_used"),
        ({"clusterId": "c1", "reference": "pay-2", "source": "stripe"}, "already_premium"),
    ],
)
def test_a_conflicting_premium_grant_is_a_409(service, season, body, reason):
    PremiumGrantFactory(season=season, cluster_id="c1", reference="pay-1")

    response = premium(service, body)

    assert (response.status_code, response.json()["reason"]) == (409, reason)
    assert PremiumGrant.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"clusterId": "c1", "source": "stripe"},
        {"clusterId": "c1", "reference": "", "source": "stripe"},
        {"clusterId": "c1", "reference": "r" * 201, "source": "stripe"},
    ],
)
def test_premium_without_a_usable_reference_is_a_400_naming_it(service, season, body):
    response = premium(service, body)

    assert (response.status_code, list(response.json())) == (400, ["reference"])
    assert not PremiumGrant.objects.exists()
