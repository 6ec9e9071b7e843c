"""Rendering: the one Jinja2 environment, HTML, and PDF through WeasyPrint (issue 6).

One environment for the report and the email (architecture.md): autoescape for every HTML
template, `StrictUndefined` so a missing value fails loudly instead of printing nothing. The
stylesheet is inlined into the HTML, charts are inline SVG, fonts come from the system
(fontconfig): the HTML is one self-contained file, and the PDF renderer is given a URL fetcher
that refuses everything but `data:` URLs, so rendering never reaches the network.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alvh.core.resources import templates_dir

log = logging.getLogger(__name__)

REPORT_TEMPLATE = "report.html.j2"
EMAIL_HTML_TEMPLATE = "email.html.j2"
EMAIL_TEXT_TEMPLATE = "email.txt.j2"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The single Jinja2 environment: HTML templates autoescaped, undefined names fatal."""
    return Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2"),
            default_for_string=True,
            default=False,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def render_html(context: Mapping[str, Any]) -> str:
    """The report's HTML (stylesheet inlined, charts inline)."""
    return render(REPORT_TEMPLATE, context)


class BlockedFetch(ValueError):
    """A resource outside the document was requested; rendering refuses to fetch it."""


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):
        """Serves `data:` URLs only and records every other URL asked for (tests read it)."""

        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols=("data",))
            self.blocked: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            self.blocked.append(url)
            log.warning("report rendering refused to fetch %s (no network assets)", url)
            raise BlockedFetch(f"refusing to fetch {url}: the report uses no external assets")

    return OfflineFetcher


def render_pdf(html: str) -> tuple[bytes, int, list[str]]:
    """PDF bytes, page count, and any URL the document tried to fetch (refused)."""
    from weasyprint import HTML

    fetcher = _fetcher_class()()
    # WeasyPrint's CSS parser reports every presentation property in the charts' inline SVG
    # styles as "unknown" (its SVG renderer applies them anyway): dozens of warnings per report
    # that would bury the run's own log lines. Errors still come through.
    css_log = logging.getLogger("weasyprint")
    previous = css_log.level
    css_log.setLevel(logging.ERROR)
    try:
        document = HTML(string=html, base_url=str(templates_dir()), url_fetcher=fetcher).render()
    finally:
        css_log.setLevel(previous)
    pdf = document.write_pdf()
    return pdf, len(document.pages), list(fetcher.blocked)
