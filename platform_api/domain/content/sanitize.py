"""Stored content is always safe HTML: markdown is rendered without raw HTML, then cleaned by nh3."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def to_safe_html(text: str, content_format: str) -> str:
    html = _markdown.render(text) if content_format == "markdown" else text
    return nh3.clean(html)


def plain_text(html: str) -> str:
    """Text without tags, for the search index."""
    return nh3.clean(html, tags=set()).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
