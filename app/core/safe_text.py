"""Curators' text on its way out to places that would run it: spreadsheets, IIIF viewers,
terminals. Titles and descriptions arrive from sheets and packages nobody checked, so every
export path passes them through here.

- **Spreadsheets** run a cell that starts with ``=``, ``+``, ``-``, ``@`` (also after spaces,
  or a leading tab or carriage return) as a formula. OWASP's advice for CSV injection is to
  put a single quote in front; spreadsheets then show the text as typed. The sheet importer
  takes exactly that quote off again (``from_csv_cell``), so an export re-imports unchanged.
- **IIIF viewers** render a value that begins with ``<`` and ends with ``>`` as HTML
  (Presentation 3.0, "HTML markup in property values"). A value meant as text is written so
  that no viewer can take it for markup.
- **Terminals** obey escape sequences (colours, window titles, OSC 8 links, cursor moves). Text
  printed by the CLI shows control characters as visible ``\\u....`` escapes instead (the
  same spelling JSON uses, so machine-readable output stays valid JSON).
"""
from __future__ import annotations

import html
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def _looks_like_formula(text: str) -> bool:
    # a tab or CR is a formula start itself; anything else counts after leading whitespace
    return text.startswith(("\t", "\r")) or text.lstrip().startswith(FORMULA_START)


def _needs_quote(text: str) -> bool:
    # a text that starts with quotes before a formula gets one more quote, so the importer's
    # "take one quote off" gives back exactly what was exported
    while text.startswith(_QUOTE):
        text = text[1:]
    return _looks_like_formula(text)


def to_csv_cell(text: str) -> str:
    """``text`` made inert for spreadsheets: a quote in front of anything a spreadsheet would
    evaluate (``from_csv_cell`` is its exact inverse)."""
    return _QUOTE + text if _needs_quote(text) else text


def from_csv_cell(text: str) -> str:
    """The inverse of ``to_csv_cell`` for a cell read back from a sheet."""
    return text[1:] if text.startswith(_QUOTE) and _needs_quote(text[1:]) else text


def iiif_text(text: str) -> str:
    """A IIIF value (summary, metadata) that viewers show as the text it is.

    Text with no ``<`` (so no tag) is left alone; otherwise it is escaped and wrapped in
    ``<span>``, which the specification allows, so the viewer shows ``<script>`` literally."""
    text = strip_controls(text)
    if "<" not in text:
        return text
    return "<span>" + html.escape(text, quote=False) + "</span>"


def iiif_label(text: str) -> str:
    """A IIIF ``label`` (which may hold no HTML at all): markup-like brackets become the
    look-alike single angle quotation marks, so nothing a viewer renders can be a tag."""
    return strip_controls(text).replace("<", "\u2039").replace(">", "\u203a")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Drop C0/C1 control characters (tab and newline stay) and bidirectional overrides."""
    return _CONTROL.sub("", text)


def terminal(text: str, keep_leading_return: bool = False) -> str:
    """Text safe to print: control characters (ESC included) and bidirectional overrides
    shown as visible ``\\u....`` escapes; tab and newline kept, and with
    ``keep_leading_return`` a carriage return at the very start (a progress line redrawn)."""
    text = str(text)
    lead = ""
    if keep_leading_return and text.startswith("\r"):
        lead, text = "\r", text[1:]
    if not _CONTROL.search(text):
        return lead + text
    return lead + _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

