"""A griffe extension for the docs site: Sphinx cross-reference roles in docstrings
(``:class:`~perfkit.X```) are shown as inline code (`X`), as mkdocstrings does not read them."""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):`(~?)([^`<]+?)(?:\s*<([^>]+)>)?`"
)


def _code(match: re.Match[str]) -> str:
    tilde, target, explicit = match.groups()
    name = explicit or target
    if tilde:
        name = name.rsplit(".", 1)[-1]
    return f"`{name}`"


class SphinxRoles(griffe.Extension):
    """Rewrite the roles when griffe loads each object."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
