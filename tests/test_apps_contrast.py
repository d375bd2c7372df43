"""Status lines stay readable on JupyterLab's light and dark themes.

Measured against the theme CSS that the installed JupyterLab ships: the words
need 4.5:1 against the page (WCAG AA text), the verdict mark 3:1 (graphics).
"""

import pathlib
import re

import pytest

pytest.importorskip("ipywidgets")
jupyterlab = pytest.importorskip("jupyterlab")

from bpkit.apps import base  # noqa: E402

THEMES = pathlib.Path(jupyterlab.__file__).resolve().parents[4] / (
    "share/jupyter/lab/themes/@jupyterlab")


def _themes() -> dict[str, dict[str, str]]:
    found = {}
    for name in ("theme-light-extension", "theme-dark-extension"):
        css = THEMES / name / "index.css"
        if css.exists():
            found[name] = dict(re.findall(r"(--[\w-]+):([^;]+);", css.read_text()))
    return found


def _resolve(value: str, theme: dict[str, str]) -> str:
    """Follow var(--x, fallback) through the theme's variables to a colour."""
    m = re.fullmatch(r"\s*var\((--[\w-]+)\s*,?\s*(.*)\)\s*", value)
    if not m:
        return value.strip()
    name, fallback = m.groups()
    if name in theme:
        return _resolve(theme[name], theme)
    return _resolve(fallback, theme)


def _rgba(colour: str) -> tuple[float, float, float, float]:
    colour = colour.strip().lower()
    if colour == "white":
        colour = "#fff"
    if colour.startswith("#"):
        h = colour[1:]
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        return (*(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)), 1.0)
    m = re.fullmatch(r"rgba?\(([^)]*)\)", colour)
    assert m, f"cannot read colour {colour!r}"
    parts = [float(p) for p in m.group(1).replace(" ", "").split(",")]
    return (*(p / 255 for p in parts[:3]), parts[3] if len(parts) == 4 else 1.0)


def _luminance(rgb) -> float:
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    *b, _ = _rgba(bg)
    *f, a = _rgba(fg)
    f = [a * x + (1 - a) * y for x, y in zip(f, b)]   # text with alpha, over the page
    hi, lo = sorted((_luminance(f), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_known_pairs():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)


CASES = [(t, bg) for t in ("theme-light-extension", "theme-dark-extension")
         for bg in ("--jp-layout-color0", "--jp-layout-color1")]


@pytest.mark.parametrize("theme_name, background", CASES)
def test_status_words_and_marks_are_readable(theme_name, background):
    themes = _themes()
    if theme_name not in themes:
        pytest.skip(f"{theme_name} is not installed")
    theme = themes[theme_name]
    bg = _resolve(theme[background], theme)
    assert contrast(_resolve(base.TEXT, theme), bg) >= 4.5
    for mark in (base.GOOD, base.WARN, base.BAD):
        assert contrast(_resolve(mark, theme), bg) >= 3.0, mark


def test_fallbacks_alone_are_readable_on_white():
    # outside JupyterLab (no theme variables), the fallbacks apply
    for colour, need in ((base.TEXT, 4.5), (base.GOOD, 3), (base.WARN, 3), (base.BAD, 3)):
        assert contrast(_resolve(colour, {}), "#fff") >= need


def test_status_html_puts_the_words_in_the_text_colour():
    html = base.status_html("diverged at step 3", base.BAD)
    assert f"<b style='color:{base.TEXT}'>diverged at step 3</b>" in html
    assert base.BAD in html
    with pytest.raises(ValueError, match="GOOD, WARN or BAD"):
        base.status_html("x", "red")
