"""Enumerate every URL pattern in the URLconf with a concrete example path for each."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

_CONVERTER_SAMPLES = {
    "int": "999999",
    "slug": "no-such-thing",
    "str": "no-such-thing",
    "path": "no-such-thing",
    "uuid": str(uuid.UUID(int=0)),
}
_REGEX_SAMPLES = ["999999", "partners", "auth", "no-such-thing", "x", "1", "a"]


@dataclass(frozen=True)
class WalkedUrl:
    name: str
    path: str


def _route_sample(route: str) -> str:
    def replace(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return _CONVERTER_SAMPLES.get(converter, "no-such-thing")

    return re.sub(r"<(?:(\w+):)?\w+>", replace, route)


def _regex_sample(regex: str) -> str:
    compiled = re.compile(regex)
    fmt, params = normalize(regex)[0]
    values: dict[str, str] = {}
    for param in params:
        for candidate in _REGEX_SAMPLES:
            trial = fmt % {**{p: candidate for p in params}, **values, param: candidate}
            if compiled.search(trial):
                values[param] = candidate
                break
        else:
            values[param] = "x"
    return fmt % values


def _sample(pattern: object) -> str:
    if isinstance(pattern, RoutePattern):
        return _route_sample(str(pattern._route))
    if isinstance(pattern, RegexPattern):
        return _regex_sample(pattern._regex)
    raise TypeError(f"unknown pattern type {pattern!r}")


def walk(
    resolver: URLResolver | None = None, prefix: str = "/", namespace: str = ""
) -> Iterator[WalkedUrl]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        piece = _sample(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from walk(entry, prefix + piece, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else f"(unnamed) {prefix}{piece}"
            yield WalkedUrl(name=name, path=(prefix + piece).replace("//", "/"))
