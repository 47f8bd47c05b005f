"""MkDocs hooks: the parts of the docs generated from the code at build time.

* ``on_config``: the *Flows* section of the navigation lists every flow table found in
  :mod:`cognito_flows.flows` (a new flow module gets a page without editing mkdocs.yml);
* ``on_files``: a flow without a hand-written ``docs/flows/<name>.md`` gets a generated page
  (its module's docstring, diagram, states and events);
* ``on_files``: mermaid.js (``docs/_mermaid``, installed with ``npm ci``) is copied into the
  site, so the diagrams render without a network (Material loads it from a CDN only when
  the page has not defined ``mermaid``; mkdocs.yml lists it in ``extra_javascript``);
* ``on_page_markdown``: ``<!-- cf:... -->`` markers become generated Markdown (diagrams,
  state tables, the error reference, the CLI's help); see ``docs/docs_gen.py``.
  A marker whose section comes out empty fails the build (a package the generator imports
  is missing from the environment, e.g. pytest for the fixture list).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

sys.path.insert(0, str(Path(__file__).resolve().parent))  # docs_gen lives beside this file

import docs_gen


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Fill the navigation's *Flows* section from the flow tables."""
    entries: list[Any] = ["flows/index.md"]
    for name in docs_gen.flow_tables():
        entries.append({docs_gen.flow_title(name): f"flows/{name}.md"})
    for item in config.nav or []:
        if isinstance(item, dict) and "Flows" in item:
            item["Flows"] = entries
    return config


MERMAID_JS = (
    Path(__file__).parent / "_mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
)
MERMAID_URI = "javascripts/mermaid.min.js"  # as listed in mkdocs.yml's extra_javascript


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Generate the page of every flow that has no hand-written one; bundle mermaid.js."""
    for name in docs_gen.flow_tables():
        uri = f"flows/{name}.md"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=docs_gen.flow_page(name)))
    if not MERMAID_JS.is_file():
        raise PluginError(
            f"{MERMAID_JS} is missing: the site bundles mermaid.js so that it works offline; "
            "install it with `cd docs/_mermaid && npm ci`"
        )
    files.append(File.generated(config, MERMAID_URI, abs_src_path=str(MERMAID_JS)))
    return files


def _empty(section: str) -> bool:
    """A generated section with nothing in it: blank, a table with no rows, or the
    generator's note that a package it needs is not installed."""
    lines = [line for line in section.strip().splitlines() if line.strip()]
    rows = [line for line in lines if not set(line) <= set("|-: ")]
    return not rows or (len(rows) == 1 and rows[0].startswith("|")) or "not installed" in section


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Expand the ``<!-- cf:... -->`` markers; an empty generated section is an error."""
    examples_dir = Path(config.docs_dir) / "examples"
    for match in docs_gen._MARKER.finditer(markdown):
        if _empty(docs_gen.expand_markers(match[0], examples_dir=examples_dir)):
            raise PluginError(
                f"{page.file.src_uri}: {match[0]} generated nothing; is a package it imports "
                "missing? (pip install -e '.[docs]')"
            )
    return docs_gen.expand_markers(markdown, examples_dir=examples_dir)
