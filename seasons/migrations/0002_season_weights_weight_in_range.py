# Weights are bounded (1..1,000,000) so value x weight stays inside 64-bit integers.

import django.core.validators
from django.core.management.base import CommandError
from django.db import migrations, models

MAX_WEIGHT = 1_000_000  # seasons.models.MAX_WEIGHT when this migration was written


def refuse_weights_above_the_bound(apps, schema_editor):
    """Name the weights that stop the constraint, instead of the database's bare "check constraint is violated"."""
    weights = apps.get_model("seasons", "SeasonChallengeWeight")
    above = list(
        weights.objects.filter(weight__gt=MAX_WEIGHT)
        .order_by("season_id", "challenge_id")
        .values_list("season_id", "challenge_id", "weight")
    )
    if above:
        rows = "; ".join(f"season {season!r} challenge {challenge!r}: {weight:,}" for season, challenge, weight in above)
        raise CommandError(
            f"{len(above)} season weight(s) are above {MAX_WEIGHT:,}, the bound this migration adds: {rows}. "
            f"Correct them (UPDATE season_challenge_weights SET weight = ... WHERE weight > {MAX_WEIGHT}) "
            "and migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("seasons", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(refuse_weights_above_the_bound, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="seasonchallengeweight",
            name="weight",
            field=models.PositiveIntegerField(
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(1000000),
                ]
            ),
        ),
        # Added before the old constraint goes, so no moment is left without a check on weight.
        migrations.AddConstraint(
            model_name="seasonchallengeweight",
            constraint=models.CheckConstraint(
                condition=models.Q(("weight__gte", 1), ("weight__lte", 1000000)),
                name="season_weights_weight_in_range",
                violation_error_message="A weight must be a whole number from 1 to 1,000,000.",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="seasonchallengeweight",
            name="season_weights_weight_positive",
        ),
    ]
