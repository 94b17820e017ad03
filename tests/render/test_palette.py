import colorsys
import hashlib

import pytest

from imagestudio.render.palette import MOTIFS, Palette, PaletteBook, stable_hash


@pytest.fixture(scope="module")
def book() -> PaletteBook:
    return PaletteBook.load()


def _mean(palette: Palette) -> tuple[float, float, float]:
    colors = [*palette.background, *palette.accents]
    return (
        sum(c[0] for c in colors) / len(colors),
        sum(c[1] for c in colors) / len(colors),
        sum(c[2] for c in colors) / len(colors),
    )


def _lightness(color: tuple[float, float, float]) -> float:
    return colorsys.rgb_to_hls(*color)[1]


def test_blue_words_give_a_blue_palette(book):
    r, g, b = _mean(book.palette_for("deep blue ocean"))
    assert b > r and b > g


def test_red_words_give_a_red_palette(book):
    r, g, b = _mean(book.palette_for("red sunset"))
    assert r > g and r > b


def test_first_colour_word_sets_the_background(book):
    palette = book.palette_for("green and purple poster")
    r, g, b = palette.background[0]
    assert g > r and g > b


def test_mood_word_picks_tone_and_motif(book):
    palette = book.palette_for("cozy coffee corner")
    assert (palette.tone, palette.motif) == ("dark", "bokeh")
    assert book.palette_for("calm morning").motif == "waves"


def test_subject_mood_outranks_style_mood(book):
    assert book.palette_for("modern coffee shop").motif == "bokeh"


def test_aliases_and_plurals_resolve(book):
    assert book.palette_for("cosy cafe") == book.palette_for("cozy coffee")
    assert book.palette_for("oceans") == book.palette_for("ocean")


def test_modifiers_shift_lightness(book):
    dark = book.palette_for("dark blue")
    light = book.palette_for("light blue")
    assert _lightness(dark.background[0]) < _lightness(light.background[0])


def test_unknown_words_hash_to_a_stable_palette(book):
    first = book.palette_for("quarterly report")
    assert first == book.palette_for("quarterly report")
    assert first != book.palette_for("annual summary")
    assert first.motif in MOTIFS
    assert len(first.accents) >= 3


def test_hue_jitter_varies_the_palette(book):
    assert book.palette_for("ocean", hue_jitter=0.02) != book.palette_for("ocean")


def test_colours_stay_in_range(book):
    for prompt in ("neon pink", "pale white winter", "black luxury", "", "12345"):
        palette = book.palette_for(prompt)
        for color in (*palette.background, *palette.accents, palette.highlight, palette.shadow):
            assert all(0.0 <= channel <= 1.0 for channel in color)


def test_stable_hash_is_blake2b_not_python_hash():
    expected = int.from_bytes(hashlib.blake2b(b"coffee", digest_size=8).digest(), "big")
    assert stable_hash("coffee") == expected


def test_rejects_unknown_motif():
    data = {"colors": {}, "moods": {"x": {"colors": ["#000000"], "tone": "dark", "motif": "nope"}}}
    with pytest.raises(ValueError, match="motif"):
        PaletteBook.from_data(data)


def test_rejects_alias_to_nowhere():
    data = {"colors": {"red": "#ff0000"}, "moods": {}, "aliases": {"crimson": "scarlet"}}
    with pytest.raises(ValueError, match="crimson"):
        PaletteBook.from_data(data)


def test_rejects_bad_hex():
    with pytest.raises(ValueError, match="rrggbb"):
        PaletteBook.from_data({"colors": {"red": "#f00"}, "moods": {}})


def test_loads_a_palette_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text('colors: {teal: "#008080"}\nmoods: {}\n', encoding="utf-8")
    book = PaletteBook.load(path)
    r, g, b = book.palette_for("teal").background[0]
    assert g > r and b > r
