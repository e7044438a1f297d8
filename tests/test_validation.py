"""The shared validators."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from perfkit import _validation as v


@given(st.text(max_size=210) | st.text(alphabet=st.characters(max_codepoint=127), max_size=210))
def test_the_id_fast_path_agrees_with_the_pattern(text: str) -> None:
    assert v.is_id(text) == (v._ID_RE.match(text) is not None)


def test_ids_by_hand() -> None:
    assert v.is_id("e-104")
    assert v.is_id("x" * 200)
    assert not v.is_id("x" * 201)
    assert not v.is_id("")
    assert not v.is_id(" e1")
    assert not v.is_id("e1 ")
    assert not v.is_id("e\x00")
    assert not v.is_id("e\x7f")
    assert v.is_id("Zoë Müller")
    assert not v.is_id("\u00a0e")  # a non-breaking space at an end
