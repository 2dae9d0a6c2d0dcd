# Weights are bounded (1..1,000,000) so value x weight stays inside 64-bit integers.

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("seasons", "0001_initial"),
    ]

    operations = [
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
