"""The docs site's generated parts: markers, error, CLI, fixture and operation references.

This is a build tool of the docs (beside ``docs/hooks.py``), not part of the wheel. The flow
diagrams and state tables come from :mod:`cognito_flows.flows._render` (which
``cognito-flows diagram`` uses too) and are re-exported here for the hooks and the tests.

Rules of this module:

* Everything here is *derived*: the flows from :data:`cognito_flows.flows.FLOWS` and their
  state specs, the exceptions from the modules that define them. A new flow (listed in
  ``FLOWS``) or a new exception shows up in the docs without touching this file.
* It is used by the MkDocs hook (``docs/hooks.py``) at build time, by ``cognito-flows
  diagram`` and by the tests. Its only I/O is importing the library and, for
  :func:`examples`, reading the example programs.

Pages written by hand call for generated parts with markers, which
:func:`expand_markers` replaces:

* ``<!-- cf:flow NAME -->``: :func:`markdown` of flow table ``NAME``;
* ``<!-- cf:diagram NAME -->``: just its Mermaid diagram, fenced;
* ``<!-- cf:flows -->``: the list of every flow, linked to its page;
* ``<!-- cf:errors -->``: :func:`error_reference`;
* ``<!-- cf:cli -->``: :func:`cli_reference`, the ``--help`` of every subcommand;
* ``<!-- cf:local-operations -->``: :func:`local_operations`, what the local Cognito serves;
* ``<!-- cf:fixtures -->``: :func:`pytest_fixtures`, the pytest plugin's fixtures;
* ``<!-- cf:examples -->``: :func:`examples`, every example program with its source.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import io
import os
import re
import sys
import types
from collections.abc import Iterable
from contextlib import redirect_stdout
from pathlib import Path

from cognito_flows.flows._render import (
    FORMATS,
    _fenced,
    _rst_to_md,
    _table,
    diagram,
    flow_module,
    flow_page,
    flow_tables,
    flow_title,
    handlers_for,
    live_editor_url,
    markdown,
    mermaid,
    part_title,
    parts,
    phases,
    state_kind,
)

__all__ = [
    "ERROR_MODULES",
    "FORMATS",
    "advice_for",
    "cli_reference",
    "diagram",
    "error_reference",
    "examples",
    "exception_classes",
    "expand_markers",
    "flow_module",
    "flow_page",
    "flow_tables",
    "flow_title",
    "handlers_for",
    "live_editor_url",
    "local_operations",
    "markdown",
    "mermaid",
    "part_title",
    "parts",
    "phases",
    "pytest_fixtures",
    "state_kind",
]

#: Modules whose public exception classes make the error reference (optional ones may be
#: missing while they are being written: they are skipped when they cannot be imported).
ERROR_MODULES = (
    "cognito_flows.errors",
    "cognito_flows.tokens",
    "cognito_flows.wire",
    "cognito_flows.store",
    "cognito_flows.testing",
)


# --------------------------------------------------------------------------------------
# Errors


def _public_exceptions(module: types.ModuleType) -> list[type[BaseException]]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    found = []
    for name in names:
        try:
            value = getattr(module, name, None)
        except ImportError:  # a lazily imported optional extra (redis) is not installed
            continue
        if (
            isinstance(value, type)
            and issubclass(value, BaseException)
            and value.__module__.startswith("cognito_flows")
        ):
            found.append(value)
    return found


def exception_classes(modules: Iterable[str] = ERROR_MODULES) -> list[type[BaseException]]:
    """Every public exception class of the library, base classes first.

    Found in ``modules`` (``__all__``, or every public name) and in ``cognito_flows``'s own
    ``__all__``; modules that cannot be imported (not written yet) are skipped.
    """
    found: dict[type[BaseException], None] = {}
    sources = [importlib.import_module("cognito_flows")]
    for name in modules:
        try:
            sources.append(importlib.import_module(name))
        except ImportError:
            continue
    for module in sources:
        for cls in _public_exceptions(module):
            found.setdefault(cls, None)

    def depth(cls: type[BaseException]) -> int:
        return len([c for c in cls.__mro__ if c in found])

    return sorted(found, key=lambda c: (depth(c), c.__module__, c.__name__))


def advice_for(cls: type[BaseException]) -> str:
    """What to do about ``cls``: the "What to do:" paragraph of its docstring, or its ancestor's.

    The advice lives in each exception's own docstring (see :mod:`cognito_flows.errors`), so
    it cannot drift from the class.
    """
    for klass in cls.__mro__:
        doc = inspect.cleandoc(klass.__dict__.get("__doc__") or "")
        for paragraph in doc.split("\n\n"):
            if paragraph.startswith("What to do:"):
                text = " ".join(paragraph[len("What to do:") :].split())
                return _rst_to_md(text)
    return "See the class documentation."


def _summary(cls: type[BaseException]) -> str:
    doc = inspect.getdoc(cls) or ""
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    return _rst_to_md(first).replace("|", "\\|")


def _parents(cls: type[BaseException], known: Iterable[type[BaseException]]) -> list[str]:
    known_set = set(known)
    return [
        b.__name__
        for b in cls.__bases__
        if b in known_set or not b.__module__.startswith("cognito_flows")
    ]


def error_reference(level: int = 2) -> str:
    """The error reference: the hierarchy, then one entry per exception class.

    Each entry has the class's full import path, its Cognito error code when it stands for
    one, when it is raised (its docstring) and what to do (:func:`advice_for`).
    """
    classes = exception_classes()
    h = "#" * level
    children: dict[type[BaseException], list[type[BaseException]]] = {c: [] for c in classes}
    roots: list[type[BaseException]] = []
    for cls in classes:
        parents = [b for b in cls.__bases__ if b in children]
        if parents:
            children[parents[0]].append(cls)
        else:
            roots.append(cls)
    out = [
        f"{h} Hierarchy",
        "",
        f"{len(classes)} exception classes, generated from the code when these docs "
        "were built. A class with two parents is listed under its first.",
        "",
    ]

    def tree(cls: type[BaseException], indent: int) -> None:
        out.append(f"{'    ' * indent}- [`{cls.__name__}`](#{cls.__name__.lower()})")
        for child in children[cls]:
            tree(child, indent + 1)

    for root in roots:
        tree(root, 0)
    out += ["", f"{h} Every exception", ""]
    for cls in classes:
        code = getattr(cls, "code_name", "")
        bases = ", ".join(f"`{b}`" for b in _parents(cls, classes))
        out += [
            f"{h}# `{cls.__name__}` {{#{cls.__name__.lower()}}}",
            "",
            f"`{cls.__module__}.{cls.__qualname__}`"
            + (f", a {bases}" if bases else "")
            + (f"; Cognito code `{code}`" if isinstance(code, str) and code else "")
            + ".",
            "",
            f"**When:** {_summary(cls) or '(undocumented)'}",
            "",
            f"**What to do:** {advice_for(cls)}",
            "",
        ]
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Command line


def cli_reference(level: int = 2) -> str:
    """The ``--help`` of ``cognito-flows`` and of each subcommand, as Markdown."""
    from cognito_flows.cli import build_parser

    parser = build_parser()
    h = "#" * level
    out = [f"{h} `cognito-flows`", "", "```text", _help(parser), "```", ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += [f"{h} `cognito-flows {name}`", "", "```text", _help(sub), "```", ""]
    return "\n".join(out)


def _help(parser: argparse.ArgumentParser) -> str:
    buffer = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "90"  # argparse wraps to the terminal: the same width everywhere
    try:
        with redirect_stdout(buffer):
            parser.print_help()
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return buffer.getvalue().rstrip()


# --------------------------------------------------------------------------------------
# Local Cognito


def local_operations() -> str:
    """The cognito-idp operations the local Cognito serves, as a Markdown list.

    Read from the emulator's operation registry; a note when the emulator is not importable.
    """
    try:
        importlib.import_module("cognito_local.server")  # registers every operation
        params = importlib.import_module("cognito_local.params")
    except ImportError:  # pragma: no cover - the emulator is part of the package
        return "*(the local Cognito is not installed in this build)*\n"
    operations = getattr(params, "OPERATIONS", {})
    areas = {
        "account": "Sign-up, passwords, the user's own account",
        "auth": "Sign-in, challenges, refresh, revocation",
        "mfa": "MFA set-up and preferences",
        "devices": "Remembered devices",
        "admin": "Pools, app clients, admin user operations",
        "admin_users": "More admin user operations",
        "groups": "Groups",
        "webauthn": "Passkeys",
        "oauth": "Domains and resource servers (managed login, OAuth 2.0)",
    }
    by_area: dict[str, list[str]] = {}
    for name in sorted(operations):
        module = getattr(operations[name].handler, "__module__", "").rsplit(".", 1)[-1]
        by_area.setdefault(module, []).append(name)
    rows = ["| Area | Operations |", "|---|---|"]
    for module, names in sorted(
        by_area.items(),
        key=lambda item: list(areas).index(item[0]) if item[0] in areas else len(areas),
    ):
        signed = [n for n in names if operations[n].signed]
        listed = ", ".join(f"`{n}`" + ("\\*" if n in signed else "") for n in names)
        rows.append(f"| {areas.get(module, module)} | {listed} |")
    return (
        f"{len(operations)} operations, read from the emulator when these docs were built "
        "(\\* = IAM-authorised admin operation: SigV4-signed, any credentials).\n\n"
        + "\n".join(rows)
        + "\n"
    )


def pytest_fixtures() -> str:
    """The fixtures of the pytest plugin (:mod:`cognito_flows.testing.plugin`) as a Markdown
    table, from the plugin's ``__all__`` and the fixtures' docstrings."""
    try:
        plugin = importlib.import_module("cognito_flows.testing.plugin")
    except ImportError:  # pragma: no cover - pytest is not installed
        return "*(the pytest plugin needs pytest, which is not installed in this build)*\n"
    rows = ["| Fixture | What it gives |", "|---|---|"]
    for name in getattr(plugin, "__all__", ()):
        doc = inspect.getdoc(getattr(plugin, name)) or ""
        text = " ".join(p.replace("\n", " ") for p in doc.split("\n\n"))
        rows.append(f"| `{name}` | {_rst_to_md(text).replace('|', chr(92) + '|')} |")
    return "\n".join(rows) + "\n"


def examples(directory: Path, *, level: int = 2) -> str:
    """Every example program in ``directory`` (``docs/examples``): its docstring, then its
    source, for the docs site."""
    h = "#" * level
    out = []
    for path in sorted(directory.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(source)) or ""
        first, _, body = doc.partition("\n\n")
        title = " ".join(first.split()).rstrip(".") or path.stem
        out += [
            f"{h} {title}",
            "",
            f"`docs/examples/{path.name}`",
            "",
            _rst_to_md(body),
            "",
            f'??? example "The source of {path.name}"',
            "",
            f'    ```python title="{path.name}"',
        ]
        out += [f"    {line}" if line else "" for line in source.splitlines()]
        out += ["    ```", ""]
    return "\n".join(out) if out else "*(no examples yet)*\n"


# --------------------------------------------------------------------------------------
# Markers

_MARKER = re.compile(r"<!--\s*cf:(?P<kind>[a-z-]+)(?:\s+(?P<arg>[A-Za-z0-9_]+))?\s*-->")


def _flows_list() -> str:
    lines = []
    for name, table in flow_tables().items():
        doc = inspect.getdoc(flow_module(table)) or ""
        first = _rst_to_md(doc.split("\n\n", 1)[0].replace("\n", " "))
        lines.append(f"- [{flow_title(table)}]({name}.md) (`{name}`): {first}")
    return "\n".join(lines) + "\n"


def expand_markers(text: str, *, examples_dir: Path | None = None) -> str:
    """Replace the ``<!-- cf:... -->`` markers of a hand-written page (see the module doc).

    ``examples_dir`` is where ``<!-- cf:examples -->`` finds the example programs.

    Raises:
        KeyError: a marker names an unknown flow.
        ValueError: an unknown marker.
    """

    def replace(match: re.Match[str]) -> str:
        kind, arg = match["kind"], match["arg"]
        if kind == "flow" and arg:
            return markdown(arg, html=True)
        if kind == "diagram" and arg:
            table = _table(arg)
            return _fenced(table, parts(table)[0], html=True)
        if kind == "flows":
            return _flows_list()
        if kind == "errors":
            return error_reference()
        if kind == "cli":
            return cli_reference()
        if kind == "local-operations":
            return local_operations()
        if kind == "fixtures":
            return pytest_fixtures()
        if kind == "examples" and examples_dir is not None:
            return examples(examples_dir)
        raise ValueError(f"unknown docs marker {match[0]!r}")

    return _MARKER.sub(replace, text)


def _main(argv: list[str]) -> int:  # pragma: no cover - a debugging aid
    for name in argv or list(flow_tables()):
        sys.stdout.write(diagram(name, "markdown") + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main(sys.argv[1:]))
