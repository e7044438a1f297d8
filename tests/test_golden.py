"""Byte-identical results: a mid-size cycle must serialise to exactly the same JSON as before.

Speed work (issue "Scale and speed") rewrites hot paths; these fingerprints were taken before it
and pin the whole output — the sample data, every score, calibration change, reward and plan. A
change that is *meant* to alter results (a new rule, a fixed bug) updates the fingerprints in the
same commit and says why; a change that is only meant to be faster must leave them alone.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

import perfkit
from perfkit.run import run_cycle
from perfkit.sample import sample_cycle, sample_policy

AT = datetime(2026, 12, 20, tzinfo=UTC)
DATA = "3f1178943c1520a9285d3e425a8acdf7e94494de7c2cd5f086a109b7867e9dc7"
WHOLE = {
    "advise": "e806f3b5feb5fd27660c85b38ba7f25faec29a8bd3a67049be92a493444b0581",
    "force": "d93172e51470eee3a61e7f5d414771c50e952f702474f06881d6ba6710fc2901",
}
# Per part, so that a failure says which step changed (first 16 hex digits of each sha256).
PARTS = {
    "advise": {
        "calibration": "fb3f88f94d9fa898",
        "deviations_after": "9efccd1c3791d060",
        "deviations_before": "a540be423b90f2f2",
        "distribution": "817565bcc1314b3d",
        "employees": "de356d1ecf7bd0d4",
        "merit": "1e355fa7b37a24e3",
        "nine_box": "0d25c78478aef6d6",
        "plans": "81b0f7aa3d6b6b13",
        "rater_effects": "c8ec97e5b635867d",
    },
    "force": {
        "calibration": "b856244ad0b77300",
        "deviations_after": "f25c6c549aa6bd15",
        "deviations_before": "a540be423b90f2f2",
        "distribution": "8ef468003de4ce36",
        "employees": "58046938032b1dbe",
        "merit": "be9faed753f11382",
        "nine_box": "7bb30ae330752f13",
        "plans": "0dc096e41130297c",
        "rater_effects": "c8ec97e5b635867d",
    },
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _part(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _sha(text)[:16]


@pytest.fixture(scope="module")
def data() -> perfkit.CycleData:
    return sample_cycle(800, seed=11)


def test_sample_data_is_unchanged(data: perfkit.CycleData) -> None:
    assert _sha(perfkit.dumps(data)) == DATA


@pytest.mark.parametrize("mode", ["advise", "force"])
def test_cycle_result_is_byte_identical(data: perfkit.CycleData, mode: str) -> None:
    result = run_cycle(data, sample_policy(data, calibration=mode), at=AT)
    parts = perfkit.unstructure(result)
    changed = {k: _part(parts[k]) for k in PARTS[mode] if _part(parts[k]) != PARTS[mode][k]}
    assert changed == {}, f"these parts of the result changed: {sorted(changed)}"
    assert _sha(perfkit.dumps(result)) == WHOLE[mode]
