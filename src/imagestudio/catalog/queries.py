"""Template queries over a loaded :class:`Catalog`: filter, ranked search, recommendations.

Pure functions: no I/O, no state, and no platform or model facts (those are catalog data).
Matching is token based. A query token matches a template token exactly, by a crude stem
("products" → "product"), as a prefix ("thumb" → "thumbnail") or, for longer words, by a
small spelling allowance ("instagarm"). Each query token scores its best match over the
template's fields, weighted by field; ties keep catalog order, so results are deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher
from typing import Any, get_args

from imagestudio.catalog.loader import Catalog
from imagestudio.catalog.schemas import Category, Template
from imagestudio.errors import InvalidRequest

CATEGORIES: tuple[str, ...] = get_args(Category)
MAX_QUERY_CHARS = 500

# Field weights: where a word matches matters more than how many times it occurs.
SEARCH_WEIGHTS: Mapping[str, float] = {
    "name": 4.0,
    "use_cases": 3.0,
    "description": 2.0,
    "meta": 1.0,
}
RECOMMEND_WEIGHTS: Mapping[str, float] = {
    "use_cases": 4.0,
    "name": 2.0,
    "description": 1.0,
    "meta": 0.5,
}
EXACT, STEM, PREFIX, FUZZY = 1.0, 0.9, 0.75, 0.5
MIN_PREFIX_CHARS = 3
MIN_FUZZY_CHARS = 5
FUZZY_RATIO = 0.84
# Bonus, in units of the top field weight, when the whole query appears as a phrase.
PHRASE_BONUS = 0.5

_TOKEN = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "i",
        "in",
        "into",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "this",
        "to",
        "want",
        "we",
        "with",
        "you",
        "your",
    }
)


def tokens(text: str) -> list[str]:
    """Lower-case alphanumeric words of ``text``, stop words removed, order kept."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _strength(query: str, words: Iterable[str]) -> float:
    """How well one query token matches the best of ``words`` (0 when none does)."""
    best = 0.0
    stem = _stem(query)
    for word in words:
        if word == query:
            return EXACT
        if _stem(word) == stem:
            best = max(best, STEM)
        elif len(query) >= MIN_PREFIX_CHARS and word.startswith(query):
            best = max(best, PREFIX)
        elif (
            best < FUZZY
            and min(len(query), len(word)) >= MIN_FUZZY_CHARS
            and SequenceMatcher(None, query, word).ratio() >= FUZZY_RATIO
        ):
            best = FUZZY
    return best


def _fields(catalog: Catalog, template: Template) -> dict[str, list[str]]:
    platform = catalog.platforms[template.platform]
    meta = " ".join(
        [platform.id, platform.name, *platform.aliases, template.category.replace("_", " ")]
    )
    return {
        "name": tokens(template.name),
        "use_cases": tokens(" ; ".join(template.use_cases)),
        "description": tokens(template.description),
        "meta": tokens(meta),
    }


def _has_phrase(query: list[str], phrases: Iterable[str]) -> bool:
    size = len(query)
    for phrase in phrases:
        words = [_stem(w) for w in tokens(phrase)]
        stems = [_stem(q) for q in query]
        if any(words[i : i + size] == stems for i in range(len(words) - size + 1)):
            return True
    return False


def _score(
    query: list[str], catalog: Catalog, template: Template, weights: Mapping[str, float]
) -> float:
    """Weighted match of ``query`` against ``template``, normalised to 0..1."""
    fields = _fields(catalog, template)
    top = max(weights.values())
    raw = sum(max(w * _strength(q, fields[f]) for f, w in weights.items()) for q in query)
    if raw == 0:
        return 0.0
    if len(query) > 1 and _has_phrase(query, [template.name, *template.use_cases]):
        raw += PHRASE_BONUS * top
    bonus = PHRASE_BONUS if len(query) > 1 else 0.0
    return raw / (top * (len(query) + bonus))


def _query_tokens(text: str, field: str) -> list[str]:
    if not text or not text.strip():
        raise InvalidRequest(f"{field} must not be blank", field=field)
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidRequest(
            f"{field} must be at most {MAX_QUERY_CHARS} characters, got {len(text)}",
            field=field,
            details={"max": MAX_QUERY_CHARS},
        )
    if not _TOKEN.search(text.lower()):
        raise InvalidRequest(f"{field} must contain a letter or digit", field=field)
    return tokens(text)


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise InvalidRequest(f"limit must be at least 1, got {limit}", field="limit")


def _rank(
    catalog: Catalog,
    candidates: Iterable[Template],
    query: list[str],
    weights: Mapping[str, float],
    limit: int,
) -> list[tuple[Template, float]]:
    order = {template_id: i for i, template_id in enumerate(catalog.templates)}
    scored = [(t, _score(query, catalog, t, weights)) for t in candidates] if query else []
    hits = [(t, round(s, 6)) for t, s in scored if s > 0]
    hits.sort(key=lambda hit: (-hit[1], order[hit[0].id]))
    return hits[:limit]


def _platform_id(catalog: Catalog, platform: str) -> str:
    found = catalog.find_platform(platform.strip())
    if found is None:
        valid = sorted(
            {*catalog.platforms, *(a for p in catalog.platforms.values() for a in p.aliases)}
        )
        raise InvalidRequest(
            f"unknown platform {platform!r}; valid: {', '.join(valid)}",
            field="platform",
            details={"valid": valid},
        )
    return found.id


def filter_templates(
    catalog: Catalog, platform: str | None = None, category: str | None = None
) -> list[Template]:
    """Templates on ``platform`` (id or alias, any case) and in ``category``, catalog order.

    ``None`` means no filter. Raises :class:`InvalidRequest` (field ``platform`` or
    ``category``, valid values in ``details['valid']``) for an unknown value.
    """
    platform_id = None if platform is None else _platform_id(catalog, platform)
    wanted = None if category is None else category.strip().lower()
    if wanted is not None and wanted not in CATEGORIES:
        raise InvalidRequest(
            f"unknown category {category!r}; valid: {', '.join(CATEGORIES)}",
            field="category",
            details={"valid": list(CATEGORIES)},
        )
    return [
        t
        for t in catalog.templates.values()
        if (platform_id is None or t.platform == platform_id)
        and (wanted is None or t.category == wanted)
    ]


def search_templates(catalog: Catalog, query: str, limit: int = 20) -> list[tuple[Template, float]]:
    """Templates matching ``query``, best first, each with a score in (0, 1].

    Name matches outrank use cases, which outrank description, then platform and
    category words. No match yields ``[]``. Raises :class:`InvalidRequest` for a blank or
    over-long ``query`` (field ``query``) or ``limit`` < 1.
    """
    words = _query_tokens(query, "query")
    _check_limit(limit)
    return _rank(catalog, catalog.templates.values(), words, SEARCH_WEIGHTS, limit)


def recommend_templates(
    catalog: Catalog, use_case: str, platform: str | None = None, limit: int = 5
) -> list[tuple[Template, float]]:
    """Templates whose use cases best fit ``use_case``, optionally on one ``platform``.

    Ranked like :func:`search_templates` but weighted towards use cases. Raises
    :class:`InvalidRequest` for a blank ``use_case``, an unknown ``platform`` or ``limit`` < 1.
    """
    words = _query_tokens(use_case, "use_case")
    _check_limit(limit)
    candidates = filter_templates(catalog, platform=platform)
    return _rank(catalog, candidates, words, RECOMMEND_WEIGHTS, limit)


def list_aspect_ratios(catalog: Catalog) -> list[dict[str, Any]]:
    """The aspect-ratio presets in display order, with labels computed from W/H."""
    return [
        {
            "id": preset.id,
            "name": preset.name,
            "width": preset.width,
            "height": preset.height,
            "label": preset.ratio.label,
            "exact": preset.ratio.exact,
            "value": preset.ratio.value,
        }
        for preset in catalog.aspect_ratios
    ]
