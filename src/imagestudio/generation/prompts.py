"""Prompt enhancement: a deterministic style suffix (no LLM call, no network)."""

from __future__ import annotations

from imagestudio.catalog.schemas import StylePreset


def enhance(prompt: str, style: StylePreset | None) -> str:
    """``prompt`` plus the style's suffix, unless the prompt already ends with it."""
    if style is None:
        return prompt
    suffix = style.suffix if style.suffix.startswith(",") else f", {style.suffix}"
    base = prompt.rstrip().rstrip(",.")
    if base.lower().endswith(suffix.lower()):
        return base
    return f"{base}{suffix}"
