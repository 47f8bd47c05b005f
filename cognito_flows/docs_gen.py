"""Documentation generated from the code: flow diagrams, state tables, the error reference.

Rules of this module:

* Everything here is *derived*: the flow tables come from scanning
  :mod:`cognito_flows.flows` for :class:`~cognito_flows.engine.FlowTable` instances, the
  diagrams from :meth:`FlowTable.mermaid`, the handler names from each flow module's
  ``HANDLER_FOR_STATE`` (or, for a flow without one, from its driver's own steps), the
  exceptions from the modules that define them. A new flow module or a new exception shows up
  in the docs without touching this file.
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
import base64
import importlib
import inspect
import io
import json
import os
import pkgutil
import re
import sys
import types
import zlib
from collections.abc import Iterable, Mapping
from contextlib import redirect_stdout
from pathlib import Path

import attrs

from . import flows as _flows_package
from .engine import FlowTable

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
    "pytest_fixtures",
    "state_kind",
]

#: Output formats of :func:`diagram` (and ``cognito-flows diagram --format``).
FORMATS = ("mermaid", "markdown")

#: Flows listed first, in the order a user meets them; the rest follow by name.
_PREFERRED_ORDER = ("sign_up", "sign_in", "forgot_password")

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
# Flow tables


def _flow_modules() -> list[types.ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(_flows_package.__path__):
        if info.name.startswith("_"):
            continue
        modules.append(importlib.import_module(f"{_flows_package.__name__}.{info.name}"))
    return modules


def _ordered(names: Iterable[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(_PREFERRED_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def flow_tables() -> dict[str, FlowTable]:
    """Every flow table, found by scanning the modules of :mod:`cognito_flows.flows`.

    Returns:
        the tables by name (``"sign_in"``...), sign-up, sign-in and forgot-password first,
        then the others by name.
    """
    found: dict[str, FlowTable] = {}
    for module in _flow_modules():
        for value in vars(module).values():
            if isinstance(value, FlowTable):
                found.setdefault(value.name, value)
    return {name: found[name] for name in _ordered(found)}


def _table(flow: str | FlowTable) -> FlowTable:
    if isinstance(flow, FlowTable):
        return flow
    tables = flow_tables()
    try:
        return tables[flow]
    except KeyError:
        raise KeyError(f"no flow table named {flow!r}; known: {', '.join(tables)}") from None


def flow_module(flow: str | FlowTable) -> types.ModuleType:
    """The flow module that defines a table (the one named after it, when there is one)."""
    table = _table(flow)
    holders = [m for m in _flow_modules() if any(v is table for v in vars(m).values())]
    for module in holders:
        if module.__name__.rsplit(".", 1)[-1] == table.name:
            return module
    if not holders:  # pragma: no cover - flow_tables() found it in one of them
        raise KeyError(table.name)
    return holders[0]


def flow_title(flow: str | FlowTable) -> str:
    """A human title for a flow: ``sign_in`` -> ``Sign-in``, ``totp_setup`` -> ``TOTP setup``."""
    name = _table(flow).name
    special = {"sign_in": "Sign-in", "sign_up": "Sign-up", "forgot_password": "Forgot password"}
    if name in special:
        return special[name]
    words = [w.upper() if w in ("totp", "mfa", "srp", "sms", "otp") else w for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def state_kind(flow: str | FlowTable, state: str) -> str:
    """What a state is: ``start``, ``final``, ``internal`` (the library answers it) or
    ``waiting`` (the host answers it)."""
    table = _table(flow)
    if state in table.final:
        return "final"
    if state == table.initial:
        return "start"
    if state in table.internal:
        return "internal"
    return "waiting"


class _ProbePool:
    """Just enough of a :class:`~cognito_flows.UserPool` to ask a driver for its step."""

    user_pool_id = "docs_probe"
    client_id = "docs-probe"
    totp_issuer = "docs"
    session_validity = 180.0

    @staticmethod
    def clock() -> float:
        return 0.0


def _probe_driver(table: FlowTable, state: str) -> str | None:
    """The handler the flow's driver names for ``state`` (``None`` if it cannot be asked)."""
    from .drivers import base

    # Importing the drivers package registers every driver class.
    for info in pkgutil.iter_modules(importlib.import_module(".drivers", __package__).__path__):
        importlib.import_module(f"{__package__}.drivers.{info.name}")
    driver = base._DRIVERS.get(table.name)
    if driver is None:
        return None
    try:
        required = {
            f.name: "probe"
            for f in attrs.fields(driver.data_class)
            if f.default is attrs.NOTHING and f.name != "state"
        }
        data = driver.data_class(**required, state=state)
        handler = driver(_ProbePool(), data).step.handler  # type: ignore[arg-type]
    except Exception:  # the driver needs more than the probe gives: no answer
        return None
    return handler if isinstance(handler, str) else None


def handlers_for(flow: str | FlowTable) -> dict[str, str]:
    """The handler method (handler mode) that answers each waiting state of a flow.

    From the flow module's ``HANDLER_FOR_STATE`` when it has one; otherwise from the flow's
    driver, by asking it which handler its step names in each waiting state.
    """
    table = _table(flow)
    declared = getattr(flow_module(table), "HANDLER_FOR_STATE", None)
    result: dict[str, str] = {}
    for state in table.states:
        if state_kind(table, state) != "waiting":
            if isinstance(declared, Mapping) and state in declared and state in table.internal:
                result[state] = str(declared[state])
            continue
        if isinstance(declared, Mapping):
            if state in declared:
                result[state] = str(declared[state])
            continue
        probed = _probe_driver(table, state)
        if probed is not None:
            result[state] = probed
    return result


def mermaid(flow: str | FlowTable, *, title: str | None = None) -> str:
    """A flow as a Mermaid ``stateDiagram-v2`` (:meth:`FlowTable.mermaid`)."""
    return _table(flow).mermaid(title=title)


def _event_kind(table: FlowTable, event: str) -> str:
    if event in table.states:
        return "Cognito asked for this challenge"
    if event.endswith("Exception"):
        return "Cognito answered this error"
    if event[:1].islower():
        return "the host's choice or the driver's decision"
    return "Cognito's answer (an operation or a response member)"


def _code(text: str) -> str:
    return f"`{text}`"


def markdown(flow: str | FlowTable, *, level: int = 2, html: bool = False) -> str:
    """A flow's generated documentation section: diagram, states, events.

    Args:
        flow: a table or its name.
        level: the heading level of the section's headings (``2`` gives ``##``).
        html: for the docs site: wrap a large diagram in a ``<div>`` that lets it scroll
            sideways at a readable size, and add a link that opens it in the Mermaid Live
            Editor (plain Markdown otherwise, as ``cognito-flows diagram`` prints it).
    """
    table = _table(flow)
    handlers = handlers_for(table)
    h = "#" * level
    kinds = {
        "start": "start",
        "waiting": "waits for the host",
        "internal": "answered by the library",
        "final": "final",
    }
    out = [
        f"{h} State diagram",
        "",
        f"Generated from `{flow_module(table).__name__}` (table `{table.name}`) when these "
        "docs were built; `cognito-flows diagram "
        f"{table.name}` prints the same diagram.",
        "",
        _fenced(table, html=html),
        f"{h} States",
        "",
    ]
    # Rows that leave many states for one destination are listed once, under Events.
    shared = [t for t in table.transitions if len(t.sources) >= _SHARED and t.dest != "="]
    if shared:
        out += [
            "*Leaves on* lists the events particular to a state and the events that keep it "
            f"where it is; the events that move {_SHARED} or more states to one destination "
            "are counted there and listed under *Events*.",
            "",
        ]
    out += ["| State | Kind | Handler method | Leaves on |", "|---|---|---|---|"]
    for state in table.states:
        leaving = [
            f"{_code(t.event)} {'stays' if t.dest == '=' else '→ ' + _code(t.dest)}"
            for t in table.transitions
            if state in t.sources and t not in shared
        ]
        common = sum(1 for t in shared if state in t.sources)
        if common:
            leaving.append(f"*{common} shared event{'s' if common > 1 else ''}*")
        handler = handlers.get(state)
        out.append(
            f"| {_code(state)} | {kinds[state_kind(table, state)]} | "
            f"{_code(handler) if handler else '—'} | {'<br>'.join(leaving) or '—'} |"
        )
    out += [
        "",
        f"{h} Events",
        "",
        "| Event | What it is | From | To |",
        "|---|---|---|---|",
    ]
    for event in table.events:
        rows = [t for t in table.transitions if t.event == event]
        sources = list(dict.fromkeys(s for t in rows for s in t.sources))
        dests = list(dict.fromkeys("stays" if t.dest == "=" else t.dest for t in rows))
        out.append(
            f"| {_code(event)} | {_event_kind(table, event)} | {_states_text(table, sources)} | "
            f"{', '.join(d if d == 'stays' else _code(d) for d in dests)} |"
        )
    return "\n".join(out) + "\n"


#: A transition leaving this many states or more is "shared" in the generated tables.
_SHARED = 5


def _states_text(table: FlowTable, states: Iterable[str]) -> str:
    """A set of states, as "every non-final state except ..." when that is shorter."""
    chosen = set(states)
    ordered = [s for s in table.states if s in chosen]
    open_states = [s for s in table.states if s not in table.final]
    missing = [s for s in open_states if s not in chosen]
    if len(ordered) >= _SHARED and chosen <= set(open_states) and len(missing) < len(ordered) / 2:
        text = "every non-final state"
        return text + (f" except {', '.join(_code(s) for s in missing)}" if missing else "")
    return ", ".join(_code(s) for s in ordered)


def diagram(flow: str, fmt: str = "mermaid") -> str:
    """What ``cognito-flows diagram FLOW --format FMT`` prints.

    Raises:
        KeyError: no flow table has that name.
        ValueError: an unknown format.
    """
    if fmt == "mermaid":
        return mermaid(flow)
    if fmt == "markdown":
        return f"# {flow_title(flow)}\n\n" + markdown(flow)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def flow_page(flow: str | FlowTable) -> str:
    """A whole page for a flow without a hand-written one: its module's docstring, then
    :func:`markdown` (for the docs site)."""
    table = _table(flow)
    doc = inspect.getdoc(flow_module(table)) or ""
    return f"# {flow_title(table)}\n\n{_rst_to_md(doc)}\n\n{markdown(table, html=True)}"


#: Flows with more states than this get a diagram wider than the page, scrolling sideways.
_WIDE_AFTER = 10


def live_editor_url(text: str) -> str:
    """A Mermaid Live Editor link that opens ``text`` (the diagram travels in the URL's
    fragment, which browsers do not send to the server)."""
    state = json.dumps(
        {
            "code": text,
            "mermaid": json.dumps({"theme": "default"}),
            "autoSync": True,
            "updateDiagram": True,
        }
    )
    packed = base64.urlsafe_b64encode(zlib.compress(state.encode(), 9)).decode().rstrip("=")
    return f"https://mermaid.live/edit#pako:{packed}"


def _fenced(table: FlowTable, *, html: bool) -> str:
    text = mermaid(table).rstrip("\n")
    fence = f"```mermaid\n{text}\n```\n"
    if not html:
        return fence
    wide = " cf-diagram-wide" if len(table.states) > _WIDE_AFTER else ""
    return (
        f'<div class="cf-diagram{wide}" markdown>\n\n{fence}\n</div>\n\n'
        f"[Open this diagram in the Mermaid Live Editor]({live_editor_url(text)}){{ "
        ".cf-diagram-link }}\n"
    )


def _rst_to_md(text: str) -> str:
    """The little reStructuredText docstrings use, as Markdown."""
    text = re.sub(r":(?:class|func|meth|attr|data|mod|exc):`~?([^`]+)`", r"`\1`", text)
    text = re.sub(r"(\S)::$", r"\1:", text, flags=re.M)  # "Example::" starts a literal block
    return text.replace("``", "`")


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
    from .cli import build_parser

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
    names = sorted(getattr(params, "OPERATIONS", {}))
    public = [
        n
        for n in names
        if not n.startswith("Admin") and not any(w in n for w in ("UserPool", "ListUsers"))
    ]
    admin = [n for n in names if n not in public]
    return (
        f"{len(names)} operations, read from the emulator when these docs were built.\n\n"
        f"**Public (what the library calls):** {', '.join(f'`{n}`' for n in public)}.\n\n"
        f"**Admin and set-up (SigV4-signed, any credentials):** "
        f"{', '.join(f'`{n}`' for n in admin)}.\n"
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
            return _fenced(_table(arg), html=True)
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
