"""Hypothesis profiles (``fast`` locally, ``ci`` when the CI variable is set) and the PostgreSQL
server fixture."""

import os

import pytest
from hypothesis import HealthCheck, settings

# The conformance suite ships inside the package: rewrite its asserts so failures show detail.
pytest.register_assert_rewrite("perfkit.testing")

settings.register_profile("fast", max_examples=40, deadline=None)
# CI explores many examples, derandomized so that a run can be reproduced exactly (local runs
# stay random and keep finding new cases).
settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "fast")
)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a PostgreSQL server for the tests (``make test`` starts a throwaway one).

    Without one the PostgreSQL tests skip, saying how to enable them; under CI they fail.
    """
    url = os.environ.get("PERFKIT_TEST_POSTGRES_URL")
    if url:
        return url
    message = (
        "no PostgreSQL server for the tests: run `make test` (it starts a throwaway server when "
        "PostgreSQL is installed) or set PERFKIT_TEST_POSTGRES_URL=postgresql://user@host:port/db"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
