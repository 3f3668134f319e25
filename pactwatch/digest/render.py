"""Render a DigestContext as HTML (CSS inlined, for mail clients), plain text and Markdown.

One Jinja environment, built by `make_environment()`: autoescape on for HTML only (plain text
is not markup, so escaping it would only print "&amp;"; Markdown is escaped once, by its own
rules, with the `md` filter: HTML entities there were shown literally by Prefect's UI,
"&#39;"), StrictUndefined so a misspelt field fails the render instead of printing nothing,
and every filter in one block.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pactwatch.digest.context import DayBar, DigestContext

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TEXT_WIDTH = 76
_SPARKS = " ▁▂▃▄▅▆▇█"
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]()#|!~<>&"})
_MD_URL = str.maketrans({"<": "%3C", ">": "%3E"})  # inside <...>: no way out of the link


@dataclass(frozen=True)
class RenderedDigest:
    """One digest in every format it is delivered or published in."""

    subject: str
    html: str
    text: str
    markdown: str


def make_environment(templates: Path = TEMPLATES) -> Environment:
    """The Jinja environment for every digest template."""
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=lambda name: (name or "").endswith(".html.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        {
            "daterange": daterange,
            "devref": lambda ref: f"{ref[0]} ({plural(ref[1], 'story', 'stories')})",
            "day": lambda d: f"{d:%a} {d.day} {d:%b}",
            "isodate": lambda d: d.isoformat(),
            "stamp": lambda t: f"{t:%Y-%m-%d %H:%M}",
            "plural": plural,
            "signed": lambda n: f"{n:+d}",
            "md": lambda s: str(s).translate(_MD_SPECIAL),
            "mdurl": lambda s: str(s).translate(_MD_URL),
            "spark": spark,
            "textbar": lambda n, top: "█" * round(20 * n / top) if top and n else "",
            "wrap": wrap,
        }
    )
    return env


def render_digest(ctx: DigestContext, env: Environment | None = None) -> RenderedDigest:
    """Render all formats of `ctx`; the HTML has its CSS inlined and no external resources."""
    env = env or make_environment()
    html = env.get_template("digest.html.j2").render(ctx=ctx)
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return RenderedDigest(
        subject=ctx.subject,
        html=inliner.inline(html),
        text=env.get_template("digest.txt.j2").render(ctx=ctx),
        markdown=env.get_template("digest.md.j2").render(ctx=ctx),
    )


# --- filters -------------------------------------------------------------------------------


def daterange(start: date, end: date) -> str:
    """ "4–10 March 2024", "26 February – 3 March 2024", "30 December 2024 – 5 January 2025"."""
    if start.year != end.year:
        return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"
    if start.month != end.month:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day}–{end.day} {end:%B %Y}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 article", "3 articles"."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def spark(bars: Sequence[DayBar]) -> str:
    """A one-line chart of mentions per day: "▁▃█ ▂▁ "."""
    top = max((b.mentions for b in bars), default=0)
    if not top:
        return " " * len(bars)
    return "".join(
        _SPARKS[0 if not b.mentions else max(1, round(8 * b.mentions / top))] for b in bars
    )


def wrap(text: str, indent: int = 0, first: str | None = None) -> str:
    """Fill `text` to TEXT_WIDTH columns, indented; `first` replaces the first line's indent."""
    pad = " " * indent
    return textwrap.fill(
        " ".join(str(text).split()),
        width=TEXT_WIDTH,
        initial_indent=pad if first is None else first,
        subsequent_indent=pad,
        break_long_words=False,
        break_on_hyphens=False,
    )
