"""The season admin's pass: the formula action (preview, then save exactly what was previewed) and the curve inline."""

import pytest
from django.contrib.admin import helpers

from seasons.models import Season, SeasonLevel
from tests.factories import SeasonFactory, SeasonLevelFactory, SeasonRewardFactory, SuperuserFactory, given_curve

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/seasons/season/"


@pytest.fixture
def staff(client):
    client.force_login(SuperuserFactory())
    return client


def run_action(client, season, **fields):
    return client.post(
        CHANGELIST, {"action": "fill_level_curve", helpers.ACTION_CHECKBOX_NAME: [season.pk], **fields}, follow=True
    )


def test_the_formula_is_previewed_and_nothing_is_saved_until_confirmed(staff):
    season = SeasonFactory(id="S1")

    response = run_action(staff, season, formula="geometric", levels="4", base="100", ratio="1.5", preview="Preview")

    assert response.status_code == 200
    assert [row[:2] for row in response.context["preview"]] == [(1, 100), (2, 250), (3, 475), (4, 813)]
    assert not SeasonLevel.objects.exists()

    fingerprint = response.context["fingerprint"]
    saved = run_action(
        staff, season, formula="geometric", levels="4", base="100", ratio="1.5", previewed=fingerprint, apply="Save"
    )

    assert "level curve of 4 levels saved (level 4 at 813 points)" in saved.content.decode()
    assert list(SeasonLevel.objects.values_list("points_required", flat=True)) == [100, 250, 475, 813]


def test_parameters_changed_after_the_preview_are_previewed_again_not_saved(staff):
    season = SeasonFactory(id="S1")
    first = run_action(staff, season, formula="flat", levels="3", step="100", preview="Preview")

    response = run_action(
        staff, season, formula="flat", levels="3", step="200", previewed=first.context["fingerprint"], apply="Save"
    )

    assert [row[1] for row in response.context["preview"]] == [200, 400, 600]
    assert not SeasonLevel.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"formula": "flat", "levels": "3"}, "step", "Required for the flat formula."),
        ({"formula": "geometric", "levels": "3", "base": "10"}, "ratio", "Required for the geometric formula."),
        ({"formula": "arithmetic", "levels": "5", "base": "10", "increment": "-5"}, "increment", None),
        ({"formula": "flat", "levels": "0", "step": "5"}, "levels", None),
    ],
)
def test_a_formula_that_cannot_make_a_curve_is_a_form_error(staff, fields, field, message):
    season = SeasonFactory(id="S1")

    response = run_action(staff, season, preview="Preview", **fields)

    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert not SeasonLevel.objects.exists()


def test_saving_a_curve_that_strands_a_reward_is_refused_on_the_page(staff):
    season = SeasonFactory(id="S1")
    SeasonRewardFactory(season=season, level=5, name="Crown")
    fields = {"formula": "flat", "levels": "3", "step": "100"}
    preview = run_action(staff, season, preview="Preview", **fields)

    response = run_action(staff, season, previewed=preview.context["fingerprint"], apply="Save", **fields)

    assert response.context["form"].non_field_errors() == [
        "The reward 'Crown' (FREE) is at level 5, beyond the curve's last level 3; move or delete it first."
    ]
    assert not SeasonLevel.objects.exists()


def test_the_action_needs_exactly_one_season(staff):
    a, b = SeasonFactory(), SeasonFactory()

    response = staff.post(
        CHANGELIST, {"action": "fill_level_curve", helpers.ACTION_CHECKBOX_NAME: [a.pk, b.pk]}, follow=True
    )

    assert "Select exactly one season" in response.content.decode()


def inline_data(season, levels: list[tuple[int, int]]) -> dict:
    """The change form's POST with the curve inline holding `levels` (new rows) and empty other inlines."""
    page = {}
    for prefix in ("weights", "levels", "rewards"):
        page |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    page["levels-TOTAL_FORMS"] = str(len(levels))
    for n, (level, points) in enumerate(levels):
        page |= {f"levels-{n}-level": str(level), f"levels-{n}-points_required": str(points)}
    return page


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ([(1, 100), (2, 100)], "Level 2 needs 100 points, not more than level 1 (100); each level must need more."),
        ([(1, 100), (3, 300)], "The curve&#x27;s levels must run 1, 2, 3, ... without gaps; level 2 is missing."),
    ],
)
def test_the_curve_inline_refuses_a_curve_that_is_not_strictly_increasing(staff, levels, message):
    season = SeasonFactory(id="S1")
    change = f"{CHANGELIST}S1/change/"
    form = staff.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields} | inline_data(season, levels)
    data = {k: (v.strftime("%Y-%m-%d %H:%M:%S") if hasattr(v, "strftime") else v) for k, v in data.items()}
    data["starts_at_0"], data["starts_at_1"] = (
        season.starts_at.strftime("%Y-%m-%d"),
        season.starts_at.strftime("%H:%M:%S"),
    )
    data["ends_at_0"], data["ends_at_1"] = season.ends_at.strftime("%Y-%m-%d"), season.ends_at.strftime("%H:%M:%S")

    response = staff.post(change, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SeasonLevel.objects.exists()


def test_a_curve_reaches_the_admin_page_inline(staff):
    season = SeasonFactory(id="S1")
    given_curve(season, [10, 20])

    response = staff.get(f"{CHANGELIST}S1/change/")

    assert response.status_code == 200
    assert "Level curve" in response.content.decode()


# --- the curve and the rewards are checked together, as submitted --------------------------------


def pass_page(season, *, levels, rewards, add=False) -> dict:
    """The season page's POST: `levels` as (row or None, level, points, delete), `rewards` as (row or None, level)."""
    data = {
        "name": season.name,
        "starts_at_0": season.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": season.starts_at.strftime("%H:%M:%S"),
        "ends_at_0": season.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": season.ends_at.strftime("%H:%M:%S"),
        "points_per_level": season.points_per_level,
        "scoring": season.scoring,
        "weights-TOTAL_FORMS": 0,
        "weights-INITIAL_FORMS": 0,
        "levels-TOTAL_FORMS": len(levels),
        "levels-INITIAL_FORMS": sum(1 for row, *_ in levels if row is not None),
        "rewards-TOTAL_FORMS": len(rewards),
        "rewards-INITIAL_FORMS": sum(1 for row, _ in rewards if row is not None),
    }
    if add:
        data["id"] = season.pk
    for n, (row, level, points, delete) in enumerate(levels):
        data |= {f"levels-{n}-id": row.pk if row else "", f"levels-{n}-level": level}
        data |= {f"levels-{n}-points_required": points, f"levels-{n}-season": "" if add else season.pk}
        if delete:
            data[f"levels-{n}-DELETE"] = "on"
    for n, (row, level) in enumerate(rewards):
        data |= {f"rewards-{n}-id": row.pk if row else "", f"rewards-{n}-season": "" if add else season.pk}
        data |= {f"rewards-{n}-track": "FREE", f"rewards-{n}-level": level, f"rewards-{n}-name": f"Reward {level}"}
        data |= {f"rewards-{n}-kind": "badge", f"rewards-{n}-quantity": 1, f"rewards-{n}-data": "{}"}
    return data


def reward_errors(response) -> list[list[str]]:
    [rewards] = [f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "rewards"]
    return [form.errors.get("level", []) for form in rewards.forms]


def test_deleting_levels_while_adding_a_reward_beyond_them_is_refused_on_the_reward_row(staff):
    season = SeasonFactory(id="S1")
    rows = [SeasonLevelFactory(season=season, level=n, points_required=100 * n) for n in range(1, 6)]
    levels = [(row, row.level, row.points_required, row.level >= 4) for row in rows]  # levels 4 and 5 deleted

    response = staff.post(f"{CHANGELIST}S1/change/", pass_page(season, levels=levels, rewards=[(None, 5)]))

    assert response.status_code == 200  # the page again, with the error
    assert reward_errors(response) == [["The level curve ends at level 3."]]
    assert SeasonLevel.objects.filter(season=season).count() == 5
    assert not season.rewards.exists()


def test_adding_a_season_with_a_reward_beyond_its_new_curve_is_refused_on_the_first_save(staff):
    season = SeasonFactory.build(id="S-NEW")
    levels = [(None, n, 100 * n, False) for n in range(1, 6)]

    response = staff.post(f"{CHANGELIST}add/", pass_page(season, levels=levels, rewards=[(None, 7)], add=True))

    assert response.status_code == 200
    assert reward_errors(response) == [["The level curve ends at level 5."]]
    assert not Season.objects.filter(pk="S-NEW").exists()


def test_a_reward_moved_down_while_the_curve_is_shortened_is_saved(staff):
    season = SeasonFactory(id="S1")
    rows = [SeasonLevelFactory(season=season, level=n, points_required=100 * n) for n in range(1, 6)]
    reward = SeasonRewardFactory(season=season, track="FREE", level=5, name="Reward 5")
    levels = [(row, row.level, row.points_required, row.level >= 4) for row in rows]

    response = staff.post(f"{CHANGELIST}S1/change/", pass_page(season, levels=levels, rewards=[(reward, 3)]))

    assert response.status_code == 302
    assert (SeasonLevel.objects.filter(season=season).count(), season.rewards.get().level) == (3, 3)


def test_the_curve_heading_and_points_per_level_help_say_the_curve_decides_when_it_has_levels(staff):
    curved = SeasonFactory(id="S1")
    given_curve(curved, [100 * level for level in range(1, 31)])
    SeasonFactory(id="S2")

    with_curve = staff.get(f"{CHANGELIST}S1/change/").content.decode()
    without = staff.get(f"{CHANGELIST}S2/change/").content.decode()

    assert "Level curve (30 levels: it decides levels, capped at level 30; points per level is not used)" in with_curve
    assert "empty: level = points ÷ points per level" not in with_curve
    assert "Not used now: the level curve (30 levels) decides levels." in with_curve
    assert "Level curve (empty: level = points ÷ points per level, uncapped)" in without
    assert "Used only while the level curve is empty" in without
