"""Staff: the prize table on the definition's page and its preview, awards, their totals, CSV and corrections."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from leaderboards.services import generate_final_run, generate_leaderboard_run
from prizes.models import LeaderboardAward, LeaderboardPrize
from prizes.services import settle_award
from tests.factories import APIKeyFactory, ExclusionFactory, LeaderboardPrizeFactory, StaffUserFactory, given_gains

pytestmark = pytest.mark.django_db

AWARDS = "/admin/prizes/leaderboardaward/"


@pytest.fixture
def final(wins, board, yesterday):
    # a 9, b 9 (rank 1), c 7, d 5
    given_gains(wins, {"a": 9, "b": 9, "c": 7, "d": 5}, period=yesterday)
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=1, name="Gold", kind="token", quantity=100)
    LeaderboardPrizeFactory(leaderboard=board, top_percent="50", name="Badge", kind="badge")
    return generate_final_run("lb_daily", **yesterday)


@pytest.fixture
def viewer(db):
    """A staff member who may view leaderboards and prizes, and change nothing."""
    user = StaffUserFactory(
        username="viewer",
        permissions=Permission.objects.filter(
            content_type__app_label__in=["leaderboards", "prizes"], codename__startswith="view_"
        ),
    )
    client = Client()
    client.force_login(user)
    return client


def inline_data(board, rows: list[dict], *, deleted=()) -> dict:
    """The definition's change form, unchanged, with the saved prize rows `deleted` ticked Delete and `rows` new."""
    data = {
        "key": board.key,
        "name": board.name,
        "description": board.description,
        "is_active": "on",
        "challenge": str(_challenge_pk(board)),
        "fallback_challenge": "",
        "time_window": board.time_window,
        "rank_mode": board.rank_mode,
        "max_entries": str(board.max_entries),
        "prizes-TOTAL_FORMS": str(len(deleted) + len(rows)),
        "prizes-INITIAL_FORMS": str(len(deleted)),
    }
    for number, prize in enumerate(deleted):
        data |= {f"prizes-{number}-id": str(prize.pk), f"prizes-{number}-DELETE": "on", f"prizes-{number}-name": "x"}
        data |= {f"prizes-{number}-kind": "x", f"prizes-{number}-quantity": "1", f"prizes-{number}-data": "{}"}
        data |= {f"prizes-{number}-rank_from": "1", f"prizes-{number}-rank_to": "1"}
    for number, row in enumerate(rows, start=len(deleted)):
        defaults = {"rank_from": "", "rank_to": "", "top_percent": "", "min_score": "", "kind": "token"}
        defaults |= {"quantity": "1", "data": "{}"}
        data |= {f"prizes-{number}-{name}": value for name, value in (defaults | row).items()}
    return data


def _challenge_pk(board):
    from hedge.challenges.models import Challenge

    return Challenge.objects.get(metric_source=board.metric_source, metric_key=board.metric_key).pk


def change_url(board) -> str:
    return f"/admin/leaderboards/leaderboarddef/{board.pk}/change/"


def test_the_prize_table_is_saved_from_the_definitions_page_with_its_history(admin_client, board):
    response = admin_client.post(
        change_url(board), inline_data(board, [{"rank_from": "1", "rank_to": "3", "name": "Gold", "quantity": "5"}])
    )

    assert response.status_code == 302
    prize = LeaderboardPrize.objects.get()
    assert (prize.leaderboard_id, prize.rank_from, prize.rank_to, prize.quantity) == ("lb_daily", 1, 3, 5)
    assert prize.history.count() == 1


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"rank_from": "1", "rank_to": "3", "top_percent": "5"}, "either a rank range"),
        ({"rank_from": "4", "rank_to": "3"}, "1 &lt;= from &lt;= to"),
        ({"top_percent": "101"}, "less than or equal to 100"),
        ({"rank_from": "1", "rank_to": "1", "quantity": "0"}, "greater than or equal to 1"),
    ],
)
def test_a_malformed_prize_row_is_a_form_error_and_nothing_is_saved(admin_client, board, row, message):
    response = admin_client.post(change_url(board), inline_data(board, [{"name": "Gold", **row}]))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LeaderboardPrize.objects.exists()


def test_the_form_says_ties_are_never_split_next_to_the_rank_mode(admin_client, board):
    page = admin_client.get(change_url(board)).content.decode()

    assert "can pay more than three clusters" in page
    assert "rows stack" in page


def test_the_prize_preview_offers_the_current_run_then_the_final_runs(admin_client, board, final):
    current = generate_leaderboard_run("lb_daily")

    page = admin_client.get(change_url(board)).content.decode()

    assert page.index(f'<option value="{current.pk}">current run') < page.index(f'<option value="{final.pk}">final run')


def test_the_prize_preview_counts_the_unsaved_table_in_the_chosen_run_and_saves_nothing(admin_client, board, final):
    rows = [
        {"rank_from": "1", "rank_to": "2", "name": "Gold", "quantity": "10"},
        {"top_percent": "75", "name": "Badge", "kind": "badge"},
    ]
    saved = list(LeaderboardPrize.objects.all())
    data = inline_data(board, rows, deleted=saved) | {"_prize_preview_run": str(final.pk)}

    response = admin_client.post(f"/admin/leaderboards/leaderboarddef/{board.pk}/prizes/preview/", data)

    page = response.content.decode()
    assert response.status_code == 200
    # Ranks 1..2 in DENSE: a, b (rank 1) and c (rank 2) -> 3 clusters, 30 tokens; top 75% -> ranks 1..2 too.
    assert page.count('<td class="hedge-clusters">3</td>') == 2
    assert "<strong>3 badge</strong>" in page and "<strong>30 token</strong>" in page
    # The saved table (Gold 1..1, Badge top 50%) is untouched, and nothing else was written.
    assert sorted(LeaderboardPrize.objects.values_list("name", flat=True)) == ["Badge", "Gold"]
    assert LeaderboardPrize.history.count() == 2


def test_the_run_page_shows_the_awards_totals_and_the_csv_of_its_awards(admin_client, final):
    page = admin_client.get(f"/admin/leaderboards/leaderboardrun/{final.pk}/change/").content.decode()

    assert "hedge-award-totals" in page
    # Gold: a, b (200 tokens); Badge top 50% of 4 -> position 2, rank 1: a, b.
    assert "<td>token</td><td>PENDING</td><td>2</td><td>200</td>" in page

    csv = b"".join(admin_client.get(f"{AWARDS}run/{final.pk}/awards.csv").streaming_content).decode()
    lines = csv.splitlines()
    assert lines[0] == "position,rank,cluster_id,score,prize,kind,quantity,data,status,reference,settled_at"
    assert lines[1:] == [
        "1,1,a,9,Gold,token,100,{},PENDING,,",
        "1,1,a,9,Badge,badge,1,{},PENDING,,",
        "2,1,b,9,Gold,token,100,{},PENDING,,",
        "2,1,b,9,Badge,badge,1,{},PENDING,,",
    ]


def test_a_scheduled_runs_page_says_only_final_runs_award(admin_client, final):
    run = generate_leaderboard_run("lb_daily")

    page = admin_client.get(f"/admin/leaderboards/leaderboardrun/{run.pk}/change/").content.decode()

    assert "only final runs award prizes" in page


def test_the_awards_list_filters_and_searches_and_lists_paid_no_longer_entitled(admin_client, board, final, yesterday):
    paid = LeaderboardAward.objects.get(cluster_id="a", name="Gold")
    settle_award(paid.pk, reference="0xa", api_key=APIKeyFactory())
    ExclusionFactory(cluster_id="a", leaderboard=board)
    generate_final_run("lb_daily", **yesterday, note="a was a bot farm")

    searched = admin_client.get(AWARDS, {"q": "b"}).content.decode()
    entitled = admin_client.get(AWARDS, {"entitlement": "no_longer_entitled"}).content.decode()
    filtered = admin_client.get(AWARDS, {"status__exact": "VOID", "kind__exact": "badge"})

    assert "a was a bot farm" in entitled and "0xa" in entitled
    assert entitled.count('class="field-cluster_id"') == 1
    assert "0xa" not in searched
    assert filtered.status_code == 200 and filtered.context["cl"].result_count == 2


def test_awards_are_read_only_in_the_admin(admin_client, final):
    award = LeaderboardAward.objects.first()

    assert admin_client.get(f"{AWARDS}add/").status_code == 403
    assert admin_client.post(f"{AWARDS}{award.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"{AWARDS}{award.pk}/change/").status_code == 200


def test_a_view_only_member_reads_everything_and_can_preview_nothing(viewer, board, final):
    award = LeaderboardAward.objects.first()

    assert viewer.get(AWARDS).status_code == 200
    assert viewer.get(f"{AWARDS}{award.pk}/change/").status_code == 200
    assert viewer.get(f"{AWARDS}run/{final.pk}/awards.csv").status_code == 200
    assert viewer.get(f"/admin/leaderboards/leaderboardrun/{final.pk}/change/").status_code == 200
    assert viewer.get("/admin/prizes/leaderboardprize/").status_code == 200
    preview = viewer.post(f"/admin/leaderboards/leaderboarddef/{board.pk}/prizes/preview/", inline_data(board, []))
    assert preview.status_code == 403


def test_without_view_permission_the_csv_is_refused(db, final):
    user = StaffUserFactory(username="nobody")
    client = Client()
    client.force_login(user)

    assert client.get(f"{AWARDS}run/{final.pk}/awards.csv").status_code == 403


def test_the_csv_of_an_unknown_run_is_a_404(admin_client, final):
    assert admin_client.get(f"{AWARDS}run/999999/awards.csv").status_code == 404
    assert admin_client.get(f"{AWARDS}run/{'9' * 30}/awards.csv").status_code == 404


def test_the_run_pages_links_open_its_awards_and_the_paid_no_longer_entitled_list(admin_client, final):
    browse = admin_client.get(AWARDS, {"run_id": final.pk})
    entitled = admin_client.get(AWARDS, {"entitlement": "no_longer_entitled", "leaderboard_key": "lb_daily"})

    assert browse.status_code == 200 and browse.context["cl"].result_count == 4
    assert entitled.status_code == 200 and entitled.context["cl"].result_count == 0
