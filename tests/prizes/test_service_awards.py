"""GET /service/awards and POST /service/awards/{id}/settle: the game lists awards and reports them paid."""

import datetime

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from prizes import signals
from prizes.models import AwardStatus, LeaderboardAward
from tests.factories import APIKeyFactory, LeaderboardAwardFactory
from tests.openapi_shapes import key_mismatches

pytestmark = pytest.mark.django_db

START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def settle(client, award_id, body):
    return client.post(f"/service/awards/{award_id}/settle", body, format="json")


def test_the_list_shows_awards_by_id_with_their_prize(service):
    award = LeaderboardAwardFactory(
        run_id=7, leaderboard_key="lb_daily", cluster_id="c1", rank=1, position=1, score=42, data={"token": "HDG"}
    )

    response = service.get("/service/awards")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": award.pk,
                "leaderboard": "lb_daily",
                "runId": 7,
                "periodStart": "2025-01-01T00:00:00Z",
                "periodEnd": "2025-01-02T00:00:00Z",
                "clusterId": "c1",
                "rank": 1,
                "score": 42,
                "league": None,
                "prize": {"name": "Gold", "kind": "token", "quantity": 1, "data": {"token": "HDG"}},
                "status": "PENDING",
                "reference": None,
                "settledAt": None,
            }
        ],
        "next": None,
    }


def test_a_league_tier_award_names_its_league_tier_and_cohort(service):
    LeaderboardAwardFactory(rank=2, position=3, league_key="weekly_league", league_level=3, league_cohort=12)

    award = service.get("/service/awards").json()["results"][0]

    assert award["league"] == {"key": "weekly_league", "level": 3, "cohort": "3-12"}
    assert award["rank"] == 2


def test_the_list_filters_by_status_and_leaderboard_and_pages_by_id(service, django_assert_num_queries):
    wanted = [LeaderboardAwardFactory(leaderboard_key="lb_a") for _ in range(5)]
    LeaderboardAwardFactory(leaderboard_key="lb_b")
    LeaderboardAwardFactory(
        leaderboard_key="lb_a", status="SETTLED", reference="r", settled_at=START, api_key=APIKeyFactory()
    )

    with django_assert_num_queries(2):  # the key; the page
        first = service.get("/service/awards?status=PENDING&leaderboard=lb_a&limit=3").json()
    second = service.get(first["next"]).json()

    assert [a["id"] for a in first["results"] + second["results"]] == [a.pk for a in wanted]
    assert "status=PENDING" in first["next"] and "leaderboard=lb_a" in first["next"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=PAID", "status"), ("limit=1001", "limit"), ("limit=0", "limit"), ("after=-1", "after")],
)
def test_a_malformed_parameter_is_a_400_naming_it(service, query, field):
    response = service.get(f"/service/awards?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_without_a_key_the_awards_are_refused(api):
    assert api.get("/service/awards").status_code == 401
    assert settle(api, 1, {"reference": "x"}).status_code == 401


def test_settling_records_the_reference_the_key_and_the_moment(service, key):
    award = LeaderboardAwardFactory()

    response = settle(service, award.pk, {"reference": "0xabc"})

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["reference"]) == (award.pk, "SETTLED", "0xabc")
    award.refresh_from_db()
    assert (award.status, award.reference, award.api_key_id) == (AwardStatus.SETTLED, "0xabc", key.pk)
    assert body["settledAt"] is not None


def test_the_same_reference_again_answers_the_same_award_and_settles_once(service):
    award = LeaderboardAwardFactory()
    heard = []
    signals.award_settled.connect(
        lambda sender, award, api_key, **kw: heard.append(award.pk), dispatch_uid="t", weak=False
    )
    try:
        first = settle(service, award.pk, {"reference": "0xabc"})
        again = settle(service, award.pk, {"reference": "0xabc"})
    finally:
        signals.award_settled.disconnect(dispatch_uid="t")

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()
    assert heard == [award.pk]


def test_another_reference_on_a_settled_award_is_409_already_settled(service):
    award = LeaderboardAwardFactory()
    settle(service, award.pk, {"reference": "0xabc"})

    response = settle(service, award.pk, {"reference": "0xdef"})

    assert response.status_code == 409
    assert response.json()["reason"] == "already_settled"
    award.refresh_from_db()
    assert award.reference == "0xabc"


def test_a_reference_used_by_another_award_is_409_reference_used(service):
    paid, other = LeaderboardAwardFactory(), LeaderboardAwardFactory()
    settle(service, paid.pk, {"reference": "0xabc"})

    response = settle(service, other.pk, {"reference": "0xabc"})

    assert response.status_code == 409
    assert response.json()["reason"] == "reference_used"
    other.refresh_from_db()
    assert other.status == AwardStatus.PENDING


def test_a_void_award_is_409_void(service):
    award = LeaderboardAwardFactory(status="VOID", voided_at=START, voided_by_run_id=9)

    response = settle(service, award.pk, {"reference": "0xabc"})

    assert response.status_code == 409
    assert response.json()["reason"] == "void"


def test_an_unknown_award_is_a_404(service):
    assert settle(service, 999999, {"reference": "x"}).status_code == 404
    assert settle(service, "abc", {"reference": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reference"),
        ({"reference": ""}, "reference"),
        ({"reference": 12}, "reference"),
        ({"reference": None}, "reference"),
        ({"reference": ["x"]}, "reference"),
        ({"reference": "x" * 201}, "reference"),
        ({"reference": "x", "refrence": "y"}, "refrence"),
        (["x"], "non_field_errors"),
    ],
)
def test_a_malformed_settle_body_is_a_400_naming_the_field_and_changes_nothing(service, body, field):
    award = LeaderboardAwardFactory()

    response = settle(service, award.pk, body)

    assert response.status_code == 400
    assert field in response.json()
    award.refresh_from_db()
    assert award.status == AwardStatus.PENDING


def test_a_settle_body_that_is_not_json_is_refused(service):
    award = LeaderboardAwardFactory()

    response = service.post(f"/service/awards/{award.pk}/settle", "reference=x", content_type="text/plain")

    assert response.status_code == 415


def test_settling_reads_and_writes_a_pinned_number_of_queries(service, django_assert_num_queries):
    award = LeaderboardAwardFactory()

    # the key; the award, locked; is the reference free; the update; the award.settled event and its
    # deliveries (one statement each). In a test, each transaction.atomic() is a savepoint (2 x SAVEPOINT +
    # RELEASE); in production they are the request's BEGIN and COMMIT.
    with django_assert_num_queries(10):
        assert settle(service, award.pk, {"reference": "0x1"}).status_code == 200


def test_a_receiver_that_fails_rolls_the_settlement_back(service):
    award = LeaderboardAwardFactory()

    def refuse(sender, **kwargs):
        raise RuntimeError("events are down")

    signals.award_settled.connect(refuse, dispatch_uid="t.refuse")
    try:
        with pytest.raises(RuntimeError):
            settle(service, award.pk, {"reference": "0x1"})
    finally:
        signals.award_settled.disconnect(dispatch_uid="t.refuse")

    award.refresh_from_db()
    assert (award.status, award.reference) == (AwardStatus.PENDING, None)
    assert LeaderboardAward.objects.filter(reference="0x1").count() == 0


def test_an_unknown_query_parameter_is_a_400_naming_it_never_a_dropped_filter(service):
    LeaderboardAwardFactory()

    response = service.get("/service/awards", {"staus": "SETTLED"})

    assert (response.status_code, response.json()) == (400, {"staus": ["Unknown parameter."]})


def test_a_leaderboard_that_cannot_be_a_key_is_a_400_naming_it(service):
    response = service.get("/service/awards", {"leaderboard": "lb\x00daily"})

    assert (response.status_code, list(response.json())) == (400, ["leaderboard"])


def test_the_list_and_a_settled_award_have_exactly_the_documented_shape(service):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    award = LeaderboardAwardFactory()
    answers = [
        ("get", "/service/awards", service.get("/service/awards?limit=1")),
        ("post", "/service/awards/{awardId}/settle", settle(service, award.pk, {"reference": "0xabc"})),
        ("get", "/service/awards", service.get("/service/awards?status=SETTLED")),
    ]

    for method, path, response in answers:
        assert response.status_code == 200, path
        documented = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.validate(response.json(), {**documented, "components": schema["components"]})
        assert key_mismatches(response.json(), documented, schema["components"]["schemas"]) == [], path
