import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hedge.challenges.models import ChallengeProgress, ChallengeProgressHistory
from hedge.challenges.services.imports import ImportValidationError, import_progress
from tests.factories import ChallengeFactory, ChallengeProgressFactory, ChallengeTierFactory

pytestmark = pytest.mark.django_db

HEADER = "cluster_id,challenge_code,value\n"


@pytest.fixture
def pvp_wins(db):
    """The PvP wins challenge of the import files here, with two tiers."""
    challenge = ChallengeFactory(code="pvp_wins")
    ChallengeTierFactory(challenge=challenge, tier=1, threshold=10)
    ChallengeTierFactory(challenge=challenge, tier=2, threshold=100)
    return challenge


@pytest.fixture
def csv_file(tmp_path):
    def write(text):
        path = tmp_path / "progress.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def errors_of(text):
    with pytest.raises(ImportValidationError) as caught:
        import_progress(io.StringIO(text))
    return caught.value.errors


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("c2,nope,5", "line 3: unknown challenge_code 'nope'"),
        ("c2,pvp_wins,-1", "line 3: value '-1' is not a non-negative integer"),
        ("c2,pvp_wins,1.5", "line 3: value '1.5' is not a non-negative integer"),
        ("c2,pvp_wins,", "line 3: value '' is not a non-negative integer"),
        (
            "c2,pvp_wins,99999999999999999999",
            "line 3: value '99999999999999999999' is above the maximum progress value 1,000,000,000,000",
        ),
        (
            "c2,pvp_wins,1000000000001",
            "line 3: value '1000000000001' is above the maximum progress value 1,000,000,000,000",
        ),
        ("c2,pvp_wins,٣", "line 3: value '٣' is not a non-negative integer"),
        ("c2,pvp_wins,1e3", "line 3: value '1e3' is not a non-negative integer"),
        ('"c2\n",pvp_wins,1,', "line 4: expected 3 fields (cluster_id,challenge_code,value), got 4"),
        (" ,pvp_wins,5", "line 3: cluster id is blank"),
        ("c\x002,pvp_wins,5", "line 3: cluster id 'c\\x002' contains a NUL character"),
        ("c1,pvp_wins,7", "line 3: cluster 'c1' and challenge 'pvp_wins' already appear on line 2"),
        ("c2,pvp_wins", "line 3: expected 3 fields (cluster_id,challenge_code,value), got 2"),
        ("x" * 129 + ",pvp_wins,5", "line 3: cluster id 'xxxxxxxxxxxxxxxxxxxx'... is longer than 128 characters"),
    ],
)
def test_one_bad_row_among_good_ones_writes_nothing_and_names_its_line(pvp_wins, row, expected):
    text = HEADER + "c1,pvp_wins,5\n" + row + "\nc3,pvp_wins,8\n"

    assert errors_of(text) == [expected]
    assert not ChallengeProgress.objects.exists()
    assert not ChallengeProgressHistory.objects.exists()


def test_every_bad_row_is_reported_at_once(pvp_wins):
    text = HEADER + "c1,pvp_wins,x\n,nope,5\nc2,pvp_wins,1\n"

    assert errors_of(text) == [
        "line 2: value 'x' is not a non-negative integer",
        "line 3: cluster id is blank",
        "line 3: unknown challenge_code 'nope'",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "line 1: the file is empty; expected the header cluster_id,challenge_code,value"),
        ("cluster,challenge,value\nc1,pvp_wins,1\n", "line 1: expected the header cluster_id,challenge_code,value"),
        ("c1,pvp_wins,1\n", "line 1: expected the header cluster_id,challenge_code,value"),
    ],
)
def test_wrong_header_is_refused(pvp_wins, text, expected):
    [error] = errors_of(text)

    assert error.startswith(expected)
    assert not ChallengeProgress.objects.exists()


def test_good_file_inserts_records_history_and_tiers(pvp_wins):
    other = ChallengeFactory(code="hero_riser")

    result = import_progress(io.StringIO(HEADER + "c1,pvp_wins,5\nc2,pvp_wins,150\nc1,hero_riser,3\n"))

    assert (result.inserted, result.updated, result.unchanged) == (3, 0, 0)
    rows = {(p.cluster_id, p.challenge.code): (p.value, p.current_tier) for p in ChallengeProgress.objects.all()}
    assert rows == {("c1", "pvp_wins"): (5, 0), ("c2", "pvp_wins"): (150, 2), ("c1", "hero_riser"): (3, 0)}
    history = set(ChallengeProgressHistory.objects.values_list("cluster_id", "challenge__code", "value"))
    assert history == {("c1", "pvp_wins", 5), ("c2", "pvp_wins", 150), ("c1", other.code, 3)}


def test_reimport_updates_only_changed_rows_and_appends_history_for_them(pvp_wins):
    old = ChallengeProgressFactory(challenge=pvp_wins, cluster_id="c1", value=5)
    kept = ChallengeProgressFactory(challenge=pvp_wins, cluster_id="c2", value=7)

    result = import_progress(io.StringIO(HEADER + "c1,pvp_wins,50\nc2,pvp_wins,7\nc3,pvp_wins,1\n"))

    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    old.refresh_from_db()
    kept_after = ChallengeProgress.objects.get(pk=kept.pk)
    assert (old.value, old.current_tier) == (50, 1)
    assert kept_after.updated_at == kept.updated_at
    assert old.updated_at > kept.updated_at
    assert sorted(ChallengeProgressHistory.objects.values_list("cluster_id", "value")) == [("c1", 50), ("c3", 1)]


def test_import_runs_the_same_number_of_queries_for_3_or_300_rows(pvp_wins):
    small = HEADER + "".join(f"a{i},pvp_wins,{i}\n" for i in range(3))
    large = HEADER + "".join(f"b{i},pvp_wins,{i}\n" for i in range(300))

    with CaptureQueriesContext(connection) as small_queries:
        import_progress(io.StringIO(small))
    with CaptureQueriesContext(connection) as large_queries:
        import_progress(io.StringIO(large))

    # executemany on SQLite and COPY on PostgreSQL are one captured statement per batch.
    assert len(large_queries) == len(small_queries)


def test_command_prints_counts(pvp_wins, csv_file, capsys):
    call_command("import_progress", csv_file(HEADER + "c1,pvp_wins,5\n"))

    assert capsys.readouterr().out.strip() == "inserted 1, updated 0, unchanged 0"


def test_command_prints_every_error_and_fails(pvp_wins, csv_file, capsys):
    path = csv_file(HEADER + "c1,pvp_wins,5\nc2,nope,1\n")

    with pytest.raises(CommandError, match="1 error"):
        call_command("import_progress", path)

    assert "line 3: unknown challenge_code 'nope'" in capsys.readouterr().err
    assert not ChallengeProgress.objects.exists()


def test_command_reports_a_missing_file(db):
    with pytest.raises(CommandError, match=r"cannot read /nonexistent\.csv"):
        call_command("import_progress", "/nonexistent.csv")


def test_a_value_up_to_the_bound_is_imported(pvp_wins):
    import_progress(io.StringIO(HEADER + "c1,pvp_wins,1000000000000\nc2,pvp_wins,0001\n"))

    assert dict(ChallengeProgress.objects.values_list("cluster_id", "value")) == {"c1": 10**12, "c2": 1}


def test_the_bigint_maximum_that_poisoned_seasons_is_refused_with_its_line(catalogue, csv_file, capsys):
    path = csv_file(HEADER + "x0,lp_depth,5\nx1,lp_depth,9223372036854775807\n")

    with pytest.raises(CommandError, match="1 error"):
        call_command("import_progress", path)

    assert capsys.readouterr().err.splitlines() == [
        "line 3: value '9223372036854775807' is above the maximum progress value 1,000,000,000,000"
    ]
    assert not ChallengeProgress.objects.exists()
    assert not ChallengeProgressHistory.objects.exists()


def test_an_invalid_utf8_byte_late_in_the_file_is_reported_with_its_line(pvp_wins, tmp_path, capsys):
    path = tmp_path / "progress.csv"
    good = "".join(f"c{i},pvp_wins,{i}\n" for i in range(50_000)).encode()
    path.write_bytes(HEADER.encode() + good + b"bad\xff,pvp_wins,1\nlast,pvp_wins,2\n")

    with pytest.raises(CommandError, match="1 error"):
        call_command("import_progress", str(path))

    assert capsys.readouterr().err.splitlines() == ["line 50002: not UTF-8 text (byte 0xff at byte 4 of the line)"]
    assert not ChallengeProgress.objects.exists()


def test_an_encoding_error_is_reported_beside_the_other_errors_of_the_file(pvp_wins):
    text = HEADER.encode() + b"c1,pvp_wins,x\nc\xc3(,pvp_wins,1\nc3,nope,1\n"

    assert errors_of_bytes(text) == [
        "line 2: value 'x' is not a non-negative integer",
        "line 3: not UTF-8 text (byte 0xc3 at byte 2 of the line)",
        "line 4: unknown challenge_code 'nope'",
    ]


def errors_of_bytes(data: bytes):
    with pytest.raises(ImportValidationError) as caught:
        import_progress(io.BytesIO(data))
    return caught.value.errors


def test_a_utf8_file_with_a_byte_order_mark_and_crlf_line_ends_is_read(pvp_wins, csv_file):
    data = "\ufeffcluster_id,challenge_code,value\r\nçé,pvp_wins,5\r\n\r\n".encode()

    result = import_progress(io.BytesIO(data))

    assert result.inserted == 1
    assert ChallengeProgress.objects.get().cluster_id == "çé"


def test_duplicates_are_found_among_the_staged_rows_with_both_lines(pvp_wins):
    text = HEADER + "c1,pvp_wins,1\nc2,pvp_wins,1\nc1,pvp_wins,2\nc2,pvp_wins,3\nc1,pvp_wins,4\n"

    assert errors_of(text) == [
        "line 4: cluster 'c1' and challenge 'pvp_wins' already appear on line 2",
        "line 5: cluster 'c2' and challenge 'pvp_wins' already appear on line 3",
        "line 6: cluster 'c1' and challenge 'pvp_wins' already appear on line 2",
    ]


def test_duplicates_and_bad_rows_are_reported_together_in_line_order(pvp_wins):
    text = HEADER + "c1,pvp_wins,1\nc2,pvp_wins,x\nc1,pvp_wins,2\nc3,nope,1\n"

    assert errors_of(text) == [
        "line 3: value 'x' is not a non-negative integer",
        "line 4: cluster 'c1' and challenge 'pvp_wins' already appear on line 2",
        "line 5: unknown challenge_code 'nope'",
    ]


def test_a_file_full_of_errors_reports_the_first_thousand_and_counts_them_all(pvp_wins):
    text = HEADER + "".join(f"c{i},pvp_wins,bad\n" for i in range(1500)) + "".join("d,pvp_wins,1\n" for _ in range(3))

    with pytest.raises(ImportValidationError) as caught:
        import_progress(io.StringIO(text))

    assert caught.value.count == 1502
    assert len(caught.value.errors) == 1000
    assert caught.value.errors[0] == "line 2: value 'bad' is not a non-negative integer"
    assert caught.value.errors[-1] == "line 1001: value 'bad' is not a non-negative integer"


def test_the_command_says_how_many_errors_it_did_not_print(pvp_wins, csv_file, capsys):
    path = csv_file(HEADER + "".join(f"c{i},nope,1\n" for i in range(1003)))

    with pytest.raises(CommandError, match="1003 error"):
        call_command("import_progress", path)

    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1001
    assert err[-1] == "... and 3 more"
