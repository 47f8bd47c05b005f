"""Rendering a flow's table and state specs: Mermaid diagrams and Markdown sections.

Everything here is derived from :data:`cognito_flows.flows.FLOWS` (the explicit list of flow
tables) and the tables' :class:`~cognito_flows.flows._table.State` specs: the diagrams, the
per-state tables (kind, handler method, what the host sees and answers, what is sent) and
the events. ``cognito-flows diagram`` prints them; the docs site embeds them
(``docs/hooks.py`` through :mod:`cognito_flows.docs_gen`). No I/O.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import re
import types
import zlib
from collections.abc import Iterable

from ._table import FlowTable

__all__ = [
    "FORMATS",
    "diagram",
    "flow_module",
    "flow_page",
    "flow_tables",
    "flow_title",
    "handlers_for",
    "live_editor_url",
    "markdown",
    "mermaid",
    "state_kind",
]

#: Output formats of :func:`diagram` (and ``cognito-flows diagram --format``).
FORMATS = ("mermaid", "markdown")


def flow_tables() -> dict[str, FlowTable]:
    """Every flow table, by name, in the order of :data:`cognito_flows.flows.FLOWS`."""
    from . import FLOWS

    return {table.name: table for table in FLOWS}


def _table(flow: str | FlowTable) -> FlowTable:
    if isinstance(flow, FlowTable):
        return flow
    tables = flow_tables()
    try:
        return tables[flow]
    except KeyError:
        raise KeyError(f"no flow table named {flow!r}; known: {', '.join(tables)}") from None


def flow_module(flow: str | FlowTable) -> types.ModuleType:
    """The flow module that defines a table (``cognito_flows.flows.<name>``)."""
    return importlib.import_module(f"{__package__}.{_table(flow).name}")


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
    ``waiting`` (the host answers it), from the state's spec."""
    kind = _table(flow).spec(state).kind
    return {"library": "internal", "host": "waiting"}.get(kind, kind)


def handlers_for(flow: str | FlowTable) -> dict[str, str]:
    """The handler method (handler mode) that answers each state the host may be asked in,
    from the states' specs."""
    table = _table(flow)
    return {
        state: spec.handler
        for state in table.states
        if (spec := table.spec(state)).handler is not None and spec.kind != "final"
    }


def mermaid(flow: str | FlowTable, *, title: str | None = None) -> str:
    """A flow as a Mermaid ``stateDiagram-v2``, generated from its table.

    Drawn left to right, so a flow with many states grows down the page, not across
    it. Events between the same two states share one arrow (``a / b``). A row that
    leaves many states at once (every state that calls Cognito may receive any
    ChallengeName) is drawn through one ``<<choice>>`` node per set of source states,
    when that needs fewer arrows; a set inside a larger one feeds the larger one's
    node. An arrow into a state named after its event (a ChallengeName) has no label.
    """
    table = _table(flow)
    lines = ["stateDiagram-v2", "    direction LR"]
    if title:
        lines.insert(0, f"---\ntitle: {title}\n---")
    for state in table.states:
        note = " (answered by the library)" if state in table.internal else ""
        if table.spec(state).auto == "single_option":
            note = " (answered by the library when it offers one option)"
        lines.append(f'    state "{state}{note}" as {state}')
    rows: dict[frozenset[str], int] = {}
    for t in table.transitions:
        if t.dest != "=":
            key = frozenset(t.sources)
            rows[key] = rows.get(key, 0) + 1
    hubs: dict[frozenset[str], str] = {}
    for sources, count in rows.items():
        if len(sources) >= 3 and len(sources) + count < len(sources) * count:
            hubs[sources] = f"from_{len(hubs) + 1}"
            lines.append(f"    state {hubs[sources]} <<choice>>")
    edges: dict[tuple[str, str], list[str]] = {}

    def edge(source: str, dest: str, label: str | None = None) -> None:
        labels = edges.setdefault((source, dest), [])
        if label and label != dest and label not in labels:
            labels.append(label)

    edge("[*]", table.initial)
    for sources, hub in hubs.items():
        covered: set[str] = set()
        for other, other_hub in sorted(hubs.items(), key=lambda kv: -len(kv[0])):
            if other < sources and not other & covered:
                edge(other_hub, hub)
                covered |= other
        for state in table.states:
            if state in sources and state not in covered:
                edge(state, hub)
    for t in table.transitions:
        if t.dest != "=" and frozenset(t.sources) in hubs:
            edge(hubs[frozenset(t.sources)], t.dest, t.event)
            continue
        for source in t.sources:
            edge(source, source if t.dest == "=" else t.dest, t.event)
    for state in table.states:
        if state in table.final:
            edge(state, "[*]")
    for (source, dest), labels in edges.items():
        label = f": {' / '.join(labels)}" if labels else ""
        lines.append(f"    {source} --> {dest}{label}")
    return "\n".join(lines) + "\n"


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
    out += [
        "| State | Kind | Handler method | The host sees | The host answers | Sent | Leaves on |",
        "|---|---|---|---|---|---|---|",
    ]
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
        spec = table.spec(state)
        kind = kinds[state_kind(table, state)]
        if spec.auto == "single_option":
            kind += " (answered by the library when one option is offered)"
        out.append(
            f"| {_code(state)} | {kind} | "
            f"{_code(handler) if handler else '—'} | {spec.shows or '—'} | "
            f"{spec.answer or '—'} | {spec.sends or '—'} | {'<br>'.join(leaving) or '—'} |"
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
        ".cf-diagram-link }\n"
    )


def _rst_to_md(text: str) -> str:
    """The little reStructuredText docstrings use, as Markdown."""
    text = re.sub(r":(?:class|func|meth|attr|data|mod|exc):`~?([^`]+)`", r"`\1`", text)
    text = re.sub(r"(\S)::$", r"\1:", text, flags=re.M)  # "Example::" starts a literal block
    return text.replace("``", "`")
