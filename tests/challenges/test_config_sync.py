import pytest

from hedge.challenges.config import HEDGE_CHALLENGE_CONFIG, CategorySpec, ChallengeSpec, TierSpec
from hedge.challenges.models import Challenge, ChallengeProgress, ChallengeTier
from hedge.challenges.services.catalogue import sync_challenge_config
from tests.factories import ChallengeProgressFactory

pytestmark = pytest.mark.django_db

CONFIG = (
    CategorySpec(
        key="pvp_competition",
        name="PvP",
        challenges=(
            ChallengeSpec(
                code="pvp_wins",
                name="Wins",
                metric_source="onchain_pvp",
                metric_key="wins",
                tiers=(TierSpec(1, 10), TierSpec(2, 100)),
            ),
            ChallengeSpec(code="pvp_streak", name="Streak", metric_source="onchain_pvp", metric_key="streak"),
        ),
    ),
)


def test_sync_creates_the_whole_catalogue():
    result = sync_challenge_config()

    codes = {spec.code for category in HEDGE_CHALLENGE_CONFIG for spec in category.challenges}
    assert set(Challenge.objects.values_list("code", flat=True)) == codes
    assert {"pvp_wins", "hero_riser", "hunters_triumph", "lp_depth"} <= codes
    wins = Challenge.objects.get(code="pvp_wins")
    assert (wins.category.key, wins.metric_source, wins.metric_key) == ("pvp_competition", "onchain_pvp", "wins")
    assert result.changed


def test_second_sync_changes_nothing():
    sync_challenge_config()
    tiers_before = list(ChallengeTier.objects.values_list("id", "threshold"))

    result = sync_challenge_config()

    assert not result.changed
    assert result.created == result.updated == result.deactivated == []
    assert list(ChallengeTier.objects.values_list("id", "threshold")) == tiers_before


def test_challenge_removed_from_config_is_deactivated_and_keeps_its_progress():
    sync_challenge_config(config=CONFIG)
    ChallengeProgressFactory(challenge=Challenge.objects.get(code="pvp_streak"), cluster_id="c1", value=5)
    without_streak = (CategorySpec(key="pvp_competition", name="PvP", challenges=(CONFIG[0].challenges[0],)),)

    result = sync_challenge_config(config=without_streak)

    streak = Challenge.objects.get(code="pvp_streak")
    assert result.deactivated == ["pvp_streak"]
    assert streak.is_active is False
    assert ChallengeProgress.objects.filter(challenge=streak, cluster_id="c1", value=5).exists()


def test_changed_fields_are_updated_and_reported():
    sync_challenge_config(config=CONFIG)
    renamed = (
        CategorySpec(
            key="pvp_competition",
            name="PvP",
            challenges=(
                CONFIG[0].challenges[0],
                ChallengeSpec("pvp_streak", "Longest streak", "onchain_pvp", "streak"),
            ),
        ),
    )

    result = sync_challenge_config(config=renamed)

    assert result.updated == ["challenge pvp_streak"]
    assert Challenge.objects.get(code="pvp_streak").name == "Longest streak"


def test_changed_thresholds_recompute_current_tiers_of_existing_progress():
    sync_challenge_config(config=CONFIG)
    wins = Challenge.objects.get(code="pvp_wins")
    low = ChallengeProgressFactory(challenge=wins, value=50, current_tier=1)
    high = ChallengeProgressFactory(challenge=wins, value=150, current_tier=2)
    lower_thresholds = (
        CategorySpec(
            key="pvp_competition",
            name="PvP",
            challenges=(
                ChallengeSpec("pvp_wins", "Wins", "onchain_pvp", "wins", tiers=(TierSpec(1, 10), TierSpec(2, 40))),
                CONFIG[0].challenges[1],
            ),
        ),
    )

    result = sync_challenge_config(config=lower_thresholds)

    low.refresh_from_db()
    high.refresh_from_db()
    assert result.tiers_changed == 1
    assert (low.current_tier, high.current_tier) == (2, 2)


def test_a_tier_removed_from_the_config_is_deleted():
    sync_challenge_config(config=CONFIG)
    one_tier = (
        CategorySpec(
            key="pvp_competition",
            name="PvP",
            challenges=(
                ChallengeSpec("pvp_wins", "Wins", "onchain_pvp", "wins", tiers=(TierSpec(1, 10),)),
                CONFIG[0].challenges[1],
            ),
        ),
    )

    sync_challenge_config(config=one_tier)

    assert list(ChallengeTier.objects.filter(challenge__code="pvp_wins").values_list("tier", flat=True)) == [1]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ((TierSpec(1, 100), TierSpec(2, 10)), "strictly rising"),
        ((TierSpec(2, 10),), "numbered 1, 2, 3"),
    ],
)
def test_invalid_config_is_refused_before_anything_is_written(tiers, message):
    bad = (CategorySpec(key="pvp", name="PvP", challenges=(ChallengeSpec("x", "X", "s", "k", tiers=tiers),)),)

    with pytest.raises(ValueError, match=message):
        sync_challenge_config(config=bad)

    assert not Challenge.objects.exists()


def test_duplicate_codes_in_config_are_refused():
    spec = ChallengeSpec("dup", "Dup", "s", "k")
    bad = (CategorySpec(key="a", name="A", challenges=(spec,)), CategorySpec(key="b", name="B", challenges=(spec,)))

    with pytest.raises(ValueError, match="'dup' appears twice"):
        sync_challenge_config(config=bad)


def test_sync_command_reports_no_change_on_second_run(capsys):
    from django.core.management import call_command

    call_command("sync_challenge_config")
    first = capsys.readouterr().out
    call_command("sync_challenge_config")
    second = capsys.readouterr().out

    assert "created challenge pvp_wins" in first
    assert second.strip() == "no change: the catalogue already matches HEDGE_CHALLENGE_CONFIG"


def test_sync_command_is_quiet_at_verbosity_0(capsys):
    from django.core.management import call_command

    call_command("sync_challenge_config", verbosity=0)

    assert capsys.readouterr().out == ""
    assert Challenge.objects.filter(code="pvp_wins").exists()
