"""HEDGE_CHALLENGE_CONFIG: the challenge catalogue, as code.

`python manage.py sync_challenge_config` makes the database match it. Changing a challenge here
and syncing updates it; removing one deactivates it (its progress stays); codes and category
keys are identities, so renaming one is a removal plus an addition.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TierSpec:
    tier: int
    threshold: int
    name: str = ""


@dataclass(frozen=True)
class ChallengeSpec:
    code: str
    name: str
    metric_source: str
    metric_key: str
    description: str = ""
    tiers: tuple[TierSpec, ...] = ()


@dataclass(frozen=True)
class CategorySpec:
    key: str
    name: str
    description: str = ""
    challenges: tuple[ChallengeSpec, ...] = field(default_factory=tuple)


def _tiers(*thresholds: int) -> tuple[TierSpec, ...]:
    names = ("Bronze", "Silver", "Gold", "Platinum", "Diamond")
    return tuple(TierSpec(tier=i, threshold=t, name=names[i - 1]) for i, t in enumerate(thresholds, start=1))


HEDGE_CHALLENGE_CONFIG: tuple[CategorySpec, ...] = (
    CategorySpec(
        key="pvp_competition",
        name="PvP Competition",
        description="Head-to-head matches settled on chain.",
        challenges=(
            ChallengeSpec(
                code="pvp_wins",
                name="Arena Champion",
                metric_source="onchain_pvp",
                metric_key="wins",
                description="PvP matches won.",
                tiers=_tiers(10, 50, 250, 1000, 5000),
            ),
            ChallengeSpec(
                code="pvp_best_streak",
                name="Unbroken",
                metric_source="onchain_pvp",
                metric_key="best_streak",
                description="Longest run of consecutive PvP wins.",
                tiers=_tiers(3, 5, 10, 20),
            ),
            ChallengeSpec(
                code="hunters_triumph",
                name="Hunter's Triumph",
                metric_source="onchain_pvp",
                metric_key="bounties_claimed",
                description="Bounties claimed on other players.",
                tiers=_tiers(5, 25, 100, 500),
            ),
        ),
    ),
    CategorySpec(
        key="hero_progression",
        name="Hero Progression",
        description="Growing and collecting heroes.",
        challenges=(
            ChallengeSpec(
                code="hero_riser",
                name="Hero Riser",
                metric_source="onchain_heroes",
                metric_key="levels_gained",
                description="Hero levels gained across all heroes.",
                tiers=_tiers(10, 100, 500, 2000),
            ),
            ChallengeSpec(
                code="hero_collector",
                name="Hero Collector",
                metric_source="onchain_heroes",
                metric_key="heroes_owned",
                description="Distinct heroes held.",
                tiers=_tiers(3, 10, 25, 50),
            ),
        ),
    ),
    CategorySpec(
        key="liquidity",
        name="Liquidity",
        description="Providing liquidity to the game's pools.",
        challenges=(
            ChallengeSpec(
                code="lp_depth",
                name="LP Depth",
                metric_source="onchain_liquidity",
                metric_key="lp_value_usd",
                description="Liquidity provided, in whole US dollars.",
                tiers=_tiers(100, 1_000, 10_000, 100_000),
            ),
            ChallengeSpec(
                code="lp_days",
                name="Steady Hands",
                metric_source="onchain_liquidity",
                metric_key="lp_days",
                description="Days with liquidity provided.",
                tiers=_tiers(7, 30, 90, 365),
            ),
        ),
    ),
    CategorySpec(
        key="quests",
        name="Quests",
        description="Quests completed in the game world.",
        challenges=(
            ChallengeSpec(
                code="quests_completed",
                name="Questor",
                metric_source="onchain_quests",
                metric_key="completed",
                description="Quests completed.",
                tiers=_tiers(10, 100, 1000),
            ),
        ),
    ),
)
