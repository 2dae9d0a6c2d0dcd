"""The challenge catalogue: categories, challenges and tiers, synced from HEDGE_CHALLENGE_CONFIG."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from .. import sql
from ..config import HEDGE_CHALLENGE_CONFIG, CategorySpec
from ..models import Challenge, ChallengeCategory, ChallengeTier


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    tiers_changed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated or self.tiers_changed)


def validate_challenge_config(config: Sequence[CategorySpec]) -> None:
    """Raise ValueError naming every problem of a catalogue before anything is written."""
    problems = []
    seen_categories: set[str] = set()
    seen_codes: set[str] = set()
    for category in config:
        if category.key in seen_categories:
            problems.append(f"category {category.key!r} appears twice")
        seen_categories.add(category.key)
        for spec in category.challenges:
            if spec.code in seen_codes:
                problems.append(f"challenge {spec.code!r} appears twice")
            seen_codes.add(spec.code)
            tiers = [t.tier for t in spec.tiers]
            if tiers != list(range(1, len(tiers) + 1)):
                problems.append(f"challenge {spec.code!r}: tiers must be numbered 1, 2, 3... in order")
            thresholds = [t.threshold for t in spec.tiers]
            if any(t < 0 for t in thresholds) or any(a >= b for a, b in itertools.pairwise(thresholds)):
                problems.append(f"challenge {spec.code!r}: tier thresholds must be non-negative and strictly rising")
    if problems:
        raise ValueError("; ".join(problems))


def _apply(instance, values: dict) -> bool:
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.full_clean()
        instance.save(update_fields=[*changed, "updated_at"] if hasattr(instance, "updated_at") else changed)
    return bool(changed)


@transaction.atomic
def sync_challenge_config(*, config: Sequence[CategorySpec] = HEDGE_CHALLENGE_CONFIG) -> SyncResult:
    """Make the catalogue match `config`, idempotently; a challenge missing from it is deactivated, never deleted."""
    validate_challenge_config(config)
    result = SyncResult()
    categories = {c.key: c for c in ChallengeCategory.objects.all()}
    challenges = {c.code: c for c in Challenge.objects.select_related("category")}
    tiers_by_challenge: dict[int, dict[int, ChallengeTier]] = {}
    for tier in ChallengeTier.objects.all():
        tiers_by_challenge.setdefault(tier.challenge_id, {})[tier.tier] = tier
    retiered: list[int] = []

    for category_spec in config:
        values = {"name": category_spec.name, "description": category_spec.description}
        category = categories.get(category_spec.key)
        if category is None:
            category = ChallengeCategory(key=category_spec.key, **values)
            category.full_clean()
            category.save()
            result.created.append(f"category {category.key}")
        elif _apply(category, values):
            result.updated.append(f"category {category.key}")
        else:
            result.unchanged += 1

        for spec in category_spec.challenges:
            values = {
                "category": category,
                "name": spec.name,
                "description": spec.description,
                "metric_source": spec.metric_source,
                "metric_key": spec.metric_key,
                "is_active": True,
            }
            challenge = challenges.pop(spec.code, None)
            if challenge is None:
                challenge = Challenge(code=spec.code, **values)
                challenge.full_clean()
                challenge.save()
                result.created.append(f"challenge {challenge.code}")
            elif _apply(challenge, values):
                result.updated.append(f"challenge {challenge.code}")
            else:
                result.unchanged += 1

            existing = tiers_by_challenge.get(challenge.id, {})
            wanted = {t.tier: t for t in spec.tiers}
            tier_changes = 0
            for number, tier_spec in wanted.items():
                tier = existing.get(number)
                tier_values = {"threshold": tier_spec.threshold, "name": tier_spec.name}
                if tier is None:
                    ChallengeTier.objects.create(challenge=challenge, tier=number, **tier_values)
                    tier_changes += 1
                elif _apply(tier, tier_values):
                    tier_changes += 1
            stale = [number for number in existing if number not in wanted]
            if stale:
                ChallengeTier.objects.filter(challenge=challenge, tier__in=stale).delete()
                tier_changes += len(stale)
            if tier_changes:
                result.tiers_changed += tier_changes
                retiered.append(challenge.id)

    for challenge in challenges.values():
        if challenge.is_active:
            _apply(challenge, {"is_active": False})
            result.deactivated.append(challenge.code)

    if retiered:
        recompute_tiers(challenge_ids=retiered)
    return result


def recompute_tiers(*, challenge_ids: Sequence[int]) -> int:
    """Re-derive `current_tier` of every progress row of these challenges in one UPDATE."""
    if not challenge_ids:
        return 0
    params = {f"challenge_{i}": challenge_id for i, challenge_id in enumerate(challenge_ids)}
    with connection.cursor() as cursor:
        cursor.execute(sql.RECOMPUTE_TIERS.format(challenge_ids=", ".join(f"%({k})s" for k in params)), params)
        return cursor.rowcount
