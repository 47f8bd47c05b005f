"""MkDocs hooks: the parts of the docs generated from the code at build time.

* ``on_config``: the *Flows* section of the navigation lists every flow table found in
  :mod:`cognito_flows.flows` (a new flow module gets a page without editing mkdocs.yml);
* ``on_files``: a flow without a hand-written ``docs/flows/<name>.md`` gets a generated page
  (its module's docstring, diagram, states and events);
* ``on_page_markdown``: ``<!-- cf:... -->`` markers become generated Markdown (diagrams,
  state tables, the error reference, the CLI's help); see ``docs/docs_gen.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
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


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Generate the page of every flow that has no hand-written one."""
    for name in docs_gen.flow_tables():
        uri = f"flows/{name}.md"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=docs_gen.flow_page(name)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Expand the ``<!-- cf:... -->`` markers."""
    return docs_gen.expand_markers(markdown, examples_dir=Path(config.docs_dir) / "examples")
