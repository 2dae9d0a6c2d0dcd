"""leaderboards.api.urls: the public paths, with or without a trailing slash."""

import pytest

pytestmark = pytest.mark.django_db


def test_paths_with_a_trailing_slash_are_accepted(api, published):
    assert api.get("/leaderboards/").status_code == 200
    assert api.get("/leaderboards/top_wins/latest/").status_code == 200
    assert api.get(f"/leaderboards/top_wins/runs/{published.pk}/", {"limit": 1}).status_code == 200
