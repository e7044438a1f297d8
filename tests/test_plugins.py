"""Third-party scoring policies, found through the entry-point group for real.

The tiny distribution in tests/plugin_project declares the ``median`` policy in the group
``perfkit.scoring_policies``. It is installed into a temporary directory — by pip when the
environment can build wheels (setuptools ≥ 70.1, or the ``wheel`` package), otherwise as the
``.dist-info`` directory pip would write, made from the project's own pyproject — and a fresh
interpreter with that directory on ``PYTHONPATH`` must find, build and run the policy by name.
Nothing in perfkit's registry is patched.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent / "plugin_project"
GROUP = "perfkit.scoring_policies"


def _can_build_wheels() -> bool:
    """Whether pip can build a setuptools project here without downloading anything."""
    try:
        importlib.metadata.distribution("wheel")
    except importlib.metadata.PackageNotFoundError:
        pass
    else:
        return True
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    major, minor = (int(p) for p in [*version.split("."), "0"][:2])
    return (major, minor) >= (70, 1)


def _dist_info(target: Path, name: str, version: str, entry_points: dict[str, str]) -> None:
    """Write the ``.dist-info`` directory of an installed distribution: what importlib.metadata
    reads to find entry points."""
    info = target / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = [f"[{GROUP}]", *(f"{k} = {v}" for k, v in entry_points.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    (info / "INSTALLER").write_text("perfkit-tests\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")


def _install(project: Path, target: Path, work: Path) -> str:
    """Install the plugin project into ``target``; return how it was done."""
    if _can_build_wheels():
        copy = shutil.copytree(project, work / "project")  # pip builds in place: not in tests/
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--target",
                str(target),
                str(copy),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        return "pip"
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    declared = meta["project"]["entry-points"][GROUP]
    _dist_info(target, meta["project"]["name"], meta["project"]["version"], declared)
    for module in meta["tool"]["setuptools"]["py-modules"]:
        shutil.copy(project / f"{module}.py", target / f"{module}.py")
    return "dist-info"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("plugin")
    target = work / "site"
    target.mkdir()
    _install(PROJECT, target, work)
    assert (target / "perfkit_median.py").exists()
    assert list(target.glob("perfkit_median-0.1.0.dist-info/entry_points.txt"))
    return target


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Installed plugins that are broken: a missing module, an object that is not a factory,
    a name declared twice, and a plugin that tries to take a built-in's name."""
    target = tmp_path_factory.mktemp("broken")
    _dist_info(
        target,
        "perfkit-broken",
        "1.0",
        {
            "broken": "perfkit_no_such_module:factory",
            "not_callable": "math:pi",
            "twice": "json:loads",
            "okr": "perfkit_no_such_module:factory",
        },
    )
    _dist_info(target, "perfkit-other", "2.0", {"twice": "json:dumps"})
    return target


def run(code: str, *paths: Path) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter with ``paths`` on PYTHONPATH; it prints one JSON."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_an_installed_plugin_is_found_by_name(plugin_site: Path) -> None:
    out = run(
        """
        import json, tomllib
        from perfkit import ValidationError
        from perfkit.scoring import (
            EmployeeInputs, GoalInput, MetricKind, load_policy, make_policy, policy_names,
            register_policy,
        )

        names = policy_names()
        policy = make_policy("median", {"cap": 1.0})
        goals = [
            GoalInput(goal_id=g, title=g, weight=1.0, metric_kind=MetricKind.BINARY, attainment=a)
            for g, a in [("a", 0.2), ("b", 0.9), ("c", 1.4)]
        ]
        score = policy.score(EmployeeInputs(employee_id="e-1", goals=goals))
        table = tomllib.loads('[policy]\\nname = "median"\\ncap = 0.5\\n')["policy"]
        capped = load_policy(table).score(EmployeeInputs(employee_id="e-1", goals=goals))
        try:
            make_policy("median", {"cap": 2})
        except ValidationError as err:
            config_error = str(err)
        try:
            register_policy("median", lambda config: policy)
        except ValidationError as err:
            taken = str(err)
        print(json.dumps({
            "names": list(names), "module": type(policy).__module__, "value": score.value,
            "sentence": score.sentence(), "policy": score.policy, "capped": capped.value,
            "config_error": config_error, "taken": taken,
        }))
        """,
        plugin_site,
    )
    assert "median" in out["names"]  # type: ignore[operator]
    assert {"kpi_curve", "okr", "weighted_components"} <= set(out["names"])  # type: ignore[arg-type]
    assert out["module"] == "perfkit_median"
    # median of 0.2, 0.9 and 1.4 capped at 1.0: 0.9; capped at 0.5: median of 0.2, 0.5, 0.5
    assert out["value"] == 0.9
    assert out["sentence"] == "0.90 = median 1 × 0.90"
    assert out["policy"] == "median"
    assert out["capped"] == 0.5
    assert out["config_error"] == "policy.cap: 2 is not between 0 and 1"
    assert str(out["taken"]).startswith(
        "name: 'median' is already a scoring policy (entry point median = 'perfkit_median:factory'"
    )


def test_without_the_plugin_the_name_is_unknown() -> None:
    out = run(
        """
        import json
        from perfkit import ValidationError
        from perfkit.scoring import make_policy
        try:
            make_policy("median")
        except ValidationError as err:
            print(json.dumps({"error": str(err)}))
        """
    )
    assert str(out["error"]).startswith("policy.name: 'median' is not a scoring policy (available:")


def test_broken_plugins_name_their_entry_point(broken_site: Path, plugin_site: Path) -> None:
    out = run(
        """
        import json
        from perfkit import PerfkitError
        from perfkit.policies import OkrPolicy
        from perfkit.scoring import PolicyPluginError, make_policy, policy_names

        names = policy_names()  # lists the plugins without importing them
        errors = {}
        for name in ("broken", "not_callable", "twice"):
            try:
                make_policy(name)
            except PolicyPluginError as err:
                assert isinstance(err, PerfkitError)
                errors[name] = str(err)
        print(json.dumps({
            "names": list(names), "errors": errors,
            "okr": make_policy("okr") == OkrPolicy(),
            "median": make_policy("median").name,
        }))
        """,
        broken_site,
        plugin_site,
    )
    assert {"broken", "not_callable", "twice", "median", "okr"} <= set(out["names"])  # type: ignore[arg-type]
    errors = out["errors"]
    assert isinstance(errors, dict)
    assert errors["broken"].startswith(
        "scoring policy 'broken': entry point broken = 'perfkit_no_such_module:factory' (group "
        "perfkit.scoring_policies from distribution 'perfkit-broken') could not be loaded "
        "(ModuleNotFoundError: No module named 'perfkit_no_such_module')"
    )
    assert "entry point not_callable = 'math:pi'" in errors["not_callable"]
    assert "not a factory" in errors["not_callable"]
    assert errors["twice"].startswith("scoring policy 'twice' is declared by 2 entry points:")
    assert "'json:dumps'" in errors["twice"]
    assert "'json:loads'" in errors["twice"]
    # A plugin cannot take a built-in's name; the other plugins keep working.
    assert out["okr"] is True
    assert out["median"] == "median"
