"""Prompt → palette: colour words, mood words, modifiers, and a hash for everything else."""

from __future__ import annotations

import colorsys
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from imagestudio.datafiles import parse_yaml

RGB = tuple[float, float, float]
Tone = Literal["dark", "mid", "light"]
MOTIFS: tuple[str, ...] = ("orbs", "bokeh", "bands", "rings", "hills", "waves")
_TONES: tuple[Tone, ...] = ("dark", "mid", "light")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Mood:
    colors: tuple[RGB, ...]
    tone: Tone
    motif: str
    rank: int = 2


@dataclass(frozen=True)
class Palette:
    """Colours (RGB floats in 0..1) by role, plus the background tone and motif."""

    background: tuple[RGB, RGB]
    accents: tuple[RGB, ...]
    highlight: RGB
    shadow: RGB
    tone: Tone
    motif: str


def stable_hash(text: str) -> int:
    """A 64-bit hash that, unlike ``hash()``, is the same in every process."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def hex_to_rgb(value: str) -> RGB:
    text = value.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    return (int(text[0:2], 16) / 255, int(text[2:4], 16) / 255, int(text[4:6], 16) / 255)


def _hls(color: RGB, *, hue: float = 0.0, light: float | None = None, sat: float = 0.0) -> RGB:
    """Rotate hue (turns), set lightness (absolute) and shift saturation, clamped."""
    h, lum, s = colorsys.rgb_to_hls(*color)
    lum = lum if light is None else light
    return colorsys.hls_to_rgb(
        (h + hue) % 1.0, min(max(lum, 0.0), 1.0), min(max(s + sat, 0.0), 1.0)
    )


def _lightness(color: RGB) -> float:
    return colorsys.rgb_to_hls(*color)[1]


class PaletteBook:
    """The word tables of ``palettes.yaml``; :meth:`palette_for` maps a prompt to a palette."""

    def __init__(
        self,
        colors: Mapping[str, RGB],
        moods: Mapping[str, Mood],
        modifiers: Mapping[str, tuple[float, float]],
        aliases: Mapping[str, str],
    ) -> None:
        self.colors = dict(colors)
        self.moods = dict(moods)
        self.modifiers = dict(modifiers)
        self.aliases = dict(aliases)
        unknown = [
            a for a, t in self.aliases.items() if t not in self.colors and t not in self.moods
        ]
        if unknown:
            raise ValueError(f"palette aliases point nowhere: {sorted(unknown)}")

    @classmethod
    def load(cls, path: Path | None = None) -> PaletteBook:
        """Read and validate a palette file (default: the packaged ``palettes.yaml``).

        Raises ``ValueError`` when an entry is malformed.
        """
        if path is None:
            text = (
                resources.files("imagestudio.render").joinpath("palettes.yaml").read_text("utf-8")
            )
        else:
            text = path.read_text("utf-8")
        return cls.from_data(parse_yaml(text))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PaletteBook:
        colors = {str(k): hex_to_rgb(str(v)) for k, v in data["colors"].items()}
        moods: dict[str, Mood] = {}
        for key, entry in data["moods"].items():
            tone, motif = entry["tone"], entry["motif"]
            if tone not in _TONES or motif not in MOTIFS:
                raise ValueError(f"mood {key!r}: bad tone {tone!r} or motif {motif!r}")
            swatch = tuple(hex_to_rgb(c) for c in entry["colors"])
            moods[str(key)] = Mood(swatch, tone, motif, int(entry.get("rank", 2)))
        modifiers = {
            str(k): (float(v.get("lightness", 0.0)), float(v.get("saturation", 0.0)))
            for k, v in data.get("modifiers", {}).items()
        }
        aliases = {str(k): str(v) for k, v in data.get("aliases", {}).items()}
        return cls(colors, moods, modifiers, aliases)

    def _resolve(self, word: str) -> str | None:
        for candidate in (word, word[:-1] if word.endswith("s") else word):
            target = self.aliases.get(candidate, candidate)
            if target in self.colors or target in self.moods:
                return target
        return None

    def palette_for(self, prompt: str, *, hue_jitter: float = 0.0) -> Palette:
        """Derive the palette for ``prompt``; ``hue_jitter`` (turns) varies it per seed."""
        found_colors: list[RGB] = []
        found_moods: list[Mood] = []
        light_shift = sat_shift = 0.0
        for word in _WORD.findall(prompt.lower()):
            if word in self.modifiers:
                dl, ds = self.modifiers[word]
                light_shift, sat_shift = light_shift + dl, sat_shift + ds
                continue
            key = self._resolve(word)
            if key in self.colors:
                found_colors.append(self.colors[key])
            elif key in self.moods and self.moods[key] not in found_moods:
                found_moods.append(self.moods[key])
        found_moods.sort(key=lambda mood: -mood.rank)
        mood_colors = [c for mood in found_moods for c in mood.colors]
        digest = stable_hash(prompt.strip().lower())
        base = _dedupe(found_colors + mood_colors) or _hashed_colors(digest)
        tone: Tone = found_moods[0].tone if found_moods else _TONES[digest % 2]
        if light_shift <= -0.1:
            tone = "dark"
        elif light_shift >= 0.15 and tone == "dark":
            tone = "mid"
        motif = next((m.motif for m in found_moods), MOTIFS[(digest >> 8) % len(MOTIFS)])
        if all(colorsys.rgb_to_hls(*c)[2] < 0.12 for c in base):
            base += _hashed_colors(digest)[:2]  # an all-grey prompt still gets one accent hue
        if len(base) < 3:
            base += [_hls(base[0], hue=0.06, sat=-0.1), _hls(base[0], hue=-0.09, light=0.68)]
        colors = [_hls(c, hue=hue_jitter, sat=sat_shift) for c in base]
        return _assign_roles(colors, tone, motif, light_shift)


def _dedupe(colors: Sequence[RGB]) -> list[RGB]:
    out: list[RGB] = []
    for color in colors:
        if color not in out:
            out.append(color)
    return out


def _hashed_colors(digest: int) -> list[RGB]:
    """A harmonious four-colour scheme picked by hash (analogous, complementary, triadic...)."""
    hue = (digest & 0xFFFF) / 0x10000
    schemes = (
        (0.0, 0.08, -0.08, 0.16),
        (0.0, 0.5, 0.06, 0.56),
        (0.0, 0.333, 0.667, 0.04),
        (0.0, 0.42, 0.58, -0.05),
    )
    offsets = schemes[(digest >> 16) % len(schemes)]
    sat = 0.55 + ((digest >> 24) % 30) / 100
    return [colorsys.hls_to_rgb((hue + o) % 1.0, 0.5, sat) for o in offsets]


def _assign_roles(colors: list[RGB], tone: Tone, motif: str, light_shift: float) -> Palette:
    primary = colors[0]
    secondary = colors[1] if len(colors) > 1 else _hls(primary, hue=0.07)
    shift = max(min(light_shift, 0.25), -0.25)
    if tone == "dark":
        background = (_hls(primary, light=0.1 + shift / 3), _hls(secondary, light=0.26 + shift / 2))
        accent_light = 0.55
    elif tone == "light":
        background = (
            _hls(primary, light=0.88 + shift / 4),
            _hls(secondary, light=0.74 + shift / 3),
        )
        accent_light = 0.52
    else:
        background = (
            _hls(primary, light=0.24 + shift / 2),
            _hls(secondary, light=0.46 + shift / 2),
        )
        accent_light = 0.58
    accents = tuple(_accent(c, accent_light, shift) for c in (colors[1:] + colors[:1])[:5])
    brightest = max(colors, key=_lightness)
    highlight = _hls(brightest, light=max(_lightness(brightest), 0.76), sat=0.1)
    shadow = _hls(primary, light=0.07 if tone != "light" else 0.2, sat=-0.1)
    return Palette(background, accents, highlight, shadow, tone, motif)


def _accent(color: RGB, target: float, shift: float) -> RGB:
    """Pull a colour into the accent lightness band, keeping chromatic colours saturated."""
    _, lum, sat = colorsys.rgb_to_hls(*color)
    boost = max(0.0, 0.45 - sat) if sat > 0.12 else 0.0
    return _hls(color, light=min(max(lum, target - 0.15), target + 0.2) + shift / 2, sat=boost)
