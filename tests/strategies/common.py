"""Strategies for the value types every domain module uses."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

from perfkit import CURRENCIES, Money

ids = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s == s.strip())
"""Valid ids (non-empty text, no control characters, no white space at either end)."""

simple_ids = st.from_regex(r"[a-z][a-z0-9-]{0,7}", fullmatch=True)

texts = st.text(max_size=30)

timezones = st.one_of(
    st.just(UTC),
    st.integers(min_value=-14 * 60, max_value=14 * 60).map(
        lambda m: timezone(timedelta(minutes=m))
    ),
)

aware_datetimes = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=timezones
)

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))

currencies = st.sampled_from(sorted(CURRENCIES))

decimals = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    allow_nan=False,
    allow_infinity=False,
    places=4,
)

money = st.builds(Money, amount=decimals, currency=currencies)

unit_floats = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
weights = st.floats(min_value=0.001, max_value=1000.0, allow_nan=False, allow_infinity=False)
