"""The image never receives secrets, local state, version control or local installs."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _rules() -> list[tuple[bool, str]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        rules.append((include, line.lstrip("!").strip("/")))
    return rules


def _pattern_matches(pattern: str, path: str) -> bool:
    # Docker matches a pattern against the path and, so a folder's contents go with it, against
    # each of its parent folders; "**" spans any number of folders.
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    regex_like = pattern.replace("**/", "*")
    return any(
        fnmatch.fnmatchcase(c, pattern) or fnmatch.fnmatchcase(c, regex_like) for c in candidates
    )


def _excluded(path: str) -> bool:
    excluded = False
    for include, pattern in _rules():  # the last matching rule wins, as in Docker
        if _pattern_matches(pattern, path):
            excluded = not include
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        "var/nsvpp.sqlite3",
        "var/media/uploads/police.csv",
        ".git/config",
        ".git/objects/ab/cdef",
        ".venv/bin/python",
        "node_modules/axe-core/axe.min.js",
        "core/__pycache__/views.cpython-311.pyc",
        ".pytest_cache/v/cache/lastfailed",
        ".ruff_cache/content",
        "nsvpp_portal.egg-info/PKG-INFO",
    ],
)
def test_secrets_state_and_local_installs_stay_out_of_the_image(path):
    assert _excluded(path), path


@pytest.mark.parametrize(
    "path",
    ["manage.py", "pyproject.toml", "nsvpp/settings.py", "static/css/nsvpp.css", ".env.example"],
)
def test_what_the_image_needs_goes_in(path):
    assert not _excluded(path), path
