"""The ``/docs`` page: a version picker with each version's lifecycle, and the selected contract in Redoc."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.contracts.controllers import PublishedVersion

__all__ = ["render_docs_page"]

REDOC_BUNDLE = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ margin: 0; font-family: system-ui, sans-serif; }}
  nav {{ padding: .75rem 1rem; border-bottom: 1px solid #ddd; display: flex; flex-wrap: wrap; gap: .5rem; }}
  nav a {{ padding: .25rem .6rem; border: 1px solid #ccc; border-radius: 4px; text-decoration: none; color: #222; }}
  nav a.selected {{ background: #222; color: #fff; }}
  .status {{ font-size: .75em; margin-left: .3rem; }}
  .deprecated {{ color: #a60; }} .retired {{ color: #b00; }}
  .notice {{ padding: .5rem 1rem; background: #fff4e0; }}
</style>
</head>
<body>
<nav>{links}</nav>
{notice}
{body}
</body>
</html>
"""


def _link(version: PublishedVersion, selected: PublishedVersion | None) -> str:
    chosen = " selected" if version is selected else ""
    status = "" if version.status == "active" else f' <span class="status {version.status}">{version.status}</span>'
    label = escape(f"{version.api} {version.version}")
    return f'<a class="{chosen.strip()}" href="{escape(version.docs)}">{label}{status}</a>'


def _notice(selected: PublishedVersion) -> str:
    if selected.status == "active":
        return ""
    parts = [f"{escape(selected.api)} {escape(selected.version)} is {escape(selected.status)}"]
    if selected.sunset_at is not None:
        parts.append(f"sunset {escape(selected.sunset_at.isoformat())}")
    if selected.successor is not None:
        successor = f"/docs?api={selected.api}&version={selected.successor}"
        parts.append(f'migrate to <a href="{escape(successor)}">{escape(selected.successor)}</a>')
    return f'<p class="notice">{"; ".join(parts)}.</p>'


def render_docs_page(versions: list[PublishedVersion], selected: PublishedVersion | None) -> str:
    if selected is None:
        return _PAGE.format(title="Omnigate APIs", links="", notice="", body="<p>No API is published here.</p>")
    body = (
        f'<redoc spec-url="{escape(selected.contract)}"></redoc>\n'
        f'<noscript><p>The contract: <a href="{escape(selected.contract)}">{escape(selected.contract)}</a></p>'
        f'</noscript>\n<script src="{REDOC_BUNDLE}"></script>'
    )
    return _PAGE.format(
        title=escape(f"Omnigate — {selected.api} {selected.version}"),
        links="".join(_link(version, selected) for version in versions),
        notice=_notice(selected),
        body=body,
    )
