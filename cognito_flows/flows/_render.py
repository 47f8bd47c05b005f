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
    "FULL",
    "OVERVIEW",
    "diagram",
    "flow_module",
    "flow_page",
    "flow_tables",
    "flow_title",
    "handlers_for",
    "live_editor_url",
    "markdown",
    "mermaid",
    "part_title",
    "parts",
    "phases",
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


#: ``part=`` of :func:`mermaid` for the whole automaton in one diagram.
FULL = "full"
#: ``part=`` of :func:`mermaid` for the overview of a flow drawn in phases.
OVERVIEW = "overview"


def phases(flow: str | FlowTable) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A flow's phases (its module's ``PHASES``), every state in exactly one: a state the
    module leaves out gets a phase of its own. Empty for a flow drawn in one diagram."""
    table = _table(flow)
    declared = getattr(flow_module(table), "PHASES", ())
    if not declared:
        return ()
    out: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for name, states in declared:
        kept = tuple(s for s in states if s in table.states and s not in seen)
        seen.update(kept)
        if kept:
            out.append((name, kept))
    out += [(state, (state,)) for state in table.states if state not in seen]
    return tuple(out)


def parts(flow: str | FlowTable) -> tuple[str, ...]:
    """The diagrams a flow is drawn in: ``("full",)``, or ``("overview", phase...)`` for a
    flow with phases (only phases with a state that is not final get a diagram)."""
    table = _table(flow)
    split = phases(table)
    if not split:
        return (FULL,)
    drawn = [name for name, states in split if any(s not in table.final for s in states)]
    return (OVERVIEW, *drawn)


def part_title(flow: str | FlowTable, part: str) -> str:
    """The heading of one of :func:`parts`."""
    if part == FULL:
        return "The whole automaton"
    if part == OVERVIEW:
        return "Overview"
    return f"Phase: {part}"


def mermaid(flow: str | FlowTable, *, title: str | None = None, part: str = FULL) -> str:
    """A flow as a Mermaid ``stateDiagram-v2``, generated from its table.

    ``part`` (one of :func:`parts`, or ``"full"``): the whole automaton (the default), the
    overview of a flow with phases (one node per phase, listing its states), or one phase:
    its states and every arrow that leaves them, other phases drawn as one node each, the
    final states as themselves, and the arrows that enter it from other phases as one node.

    Drawn left to right, so a flow with many states grows down the page, not across
    it. Events between the same two states share one arrow (``a / b``). A row that
    leaves many states at once (every state that calls Cognito may receive any
    ChallengeName) is drawn through one ``<<choice>>`` node per set of source states,
    when that needs fewer arrows; a set inside a larger one feeds the larger one's
    node. An arrow into a state named after its event (a ChallengeName) has no label.

    Raises:
        KeyError: no such flow, or no such part.
    """
    table = _table(flow)
    if part == FULL:
        return _draw(table, table.states, {}, title=title)
    split = dict(phases(table))
    if part == OVERVIEW and split:
        return _overview(table, split, title=title)
    if part not in split:
        raise KeyError(
            f"{table.name} has no diagram part {part!r}; known: {', '.join(parts(table))}"
        )
    others = {
        state: _phase_id(name)
        for name, states in split.items()
        if name != part
        for state in states
        if state not in table.final
    }
    return _draw(table, split[part], others, title=title, entered=True)


def _phase_id(name: str) -> str:
    return "phase_" + re.sub(r"\W+", "_", name).strip("_").lower()


def _overview(table: FlowTable, split: dict[str, tuple[str, ...]], *, title: str | None) -> str:
    """One node per phase (listing its states); the rows between phases, a row that leaves
    many phases through one ``<<choice>>`` node (as :func:`_draw` does for states)."""
    lines = ["stateDiagram-v2", "    direction LR"]
    if title:
        lines.insert(0, f"---\ntitle: {title}\n---")
    phase_of = {state: _phase_id(name) for name, states in split.items() for state in states}
    for name, states in split.items():
        node = _phase_id(name)
        lines.append(f'    state "{name}" as {node}')
        for i in range(0, len(states), 2):  # two states a line keeps the node narrow
            lines.append(f"    {node} : {', '.join(states[i : i + 2])}")
    # Each row between phases: (its source phases, its destination phase, its event).
    rows: dict[tuple[frozenset[str], str], list[str]] = {}
    for t in table.transitions:
        if t.dest == "=":
            continue
        sources = frozenset(phase_of[s] for s in t.sources)
        dest = phase_of[t.dest]
        if sources == {dest}:
            continue  # inside one phase: its own diagram shows it
        events = rows.setdefault((sources, dest), [])
        # Challenges are listed in the phase they lead to; errors are the end states'.
        listed = t.event in table.states or t.event.endswith("Exception")
        if not listed and t.event not in events:
            events.append(t.event)
    counts: dict[frozenset[str], int] = {}
    for sources, _ in rows:
        counts[sources] = counts.get(sources, 0) + 1
    hubs: dict[frozenset[str], str] = {}
    for sources, count in counts.items():
        if len(sources) >= 3 and len(sources) + count < len(sources) * count:
            hubs[sources] = f"answer_{len(hubs) + 1}"
            lines.append(f"    state {hubs[sources]} <<choice>>")
    edges: dict[tuple[str, str], list[str]] = {("[*]", phase_of[table.initial]): []}
    for sources, hub in hubs.items():
        covered: set[str] = set()
        for other, other_hub in sorted(hubs.items(), key=lambda kv: -len(kv[0])):
            if other < sources and not other & covered:
                edges.setdefault((other_hub, hub), [])
                covered |= other
        for name in split:
            node = _phase_id(name)
            if node in sources and node not in covered:
                edges.setdefault((node, hub), [])
    for (sources, dest), events in rows.items():
        starts = [hubs[sources]] if sources in hubs else []
        if not starts:
            rest = set(sources - {dest})
            for other, hub in sorted(hubs.items(), key=lambda kv: -len(kv[0])):
                if other <= sources and other & rest == other - {dest}:
                    starts.append(hub)  # the phases of a hub inside this row's, at once
                    rest -= other
            starts += [node for node in phase_of.values() if node in rest]
            starts = list(dict.fromkeys(starts))
        for start in starts:
            labels = edges.setdefault((start, dest), [])
            labels += [e for e in events if e not in labels]
    for (source, dest), labels in edges.items():
        label = f": {' / '.join(labels)}" if labels else ""
        lines.append(f"    {source} --> {dest}{label}")
    return "\n".join(lines) + "\n"


def _draw(
    table: FlowTable,
    view: tuple[str, ...],
    others: dict[str, str],
    *,
    title: str | None,
    entered: bool = False,
) -> str:
    """The states ``view`` and the rows that leave them; a destination outside the view is
    drawn as ``others[state]`` (its phase's node) or as itself (a final state)."""
    inside = set(view)
    lines = ["stateDiagram-v2", "    direction LR"]
    if title:
        lines.insert(0, f"---\ntitle: {title}\n---")
    for state in view:
        note = " (answered by the library)" if state in table.internal else ""
        if table.spec(state).auto == "single_option":
            note = " (answered by the library when it offers one option)"
        lines.append(f'    state "{state}{note}" as {state}')

    def target(dest: str) -> str:
        return dest if dest in inside else others.get(dest, dest)

    rows: dict[frozenset[str], int] = {}
    for t in table.transitions:
        sources = frozenset(t.sources) & inside
        if t.dest != "=" and sources:
            rows[sources] = rows.get(sources, 0) + 1
    hubs: dict[frozenset[str], str] = {}
    declared: list[str] = []
    for sources, count in rows.items():
        if len(sources) >= (2 if entered else 3) and len(sources) + count < len(sources) * count:
            hubs[sources] = f"from_{len(hubs) + 1}"
            declared.append(f"    state {hubs[sources]} <<choice>>")
    outside = [
        (node, name)
        for node, name in dict.fromkeys(
            (target(t.dest), t.dest)
            for t in table.transitions
            if t.dest not in ("=", *inside) and inside & set(t.sources)
        )
    ]
    for node in dict.fromkeys(node for node, _ in outside):
        if node not in table.states:
            phase = next(n for n in dict.fromkeys(others) if others[n] == node)
            lines.append(f'    state "{_phase_name(table, phase)}" as {node}')
        elif node not in inside:
            lines.append(f'    state "{node}" as {node}')
    edges: dict[tuple[str, str], list[str]] = {}

    def edge(source: str, dest: str, label: str | None = None) -> None:
        labels = edges.setdefault((source, dest), [])
        # An arrow into another phase's node needs no ChallengeName: the phase lists it.
        listed = dest not in table.states and label in table.states
        if label and label != dest and label not in labels and not listed:
            labels.append(label)

    if table.initial in inside:
        edge("[*]", table.initial)
    if entered:
        # Rows that bring the flow here from another phase, through this view's hub when
        # the row has one (they are the rows every calling state shares).
        entry = "from_another_phase"
        for t in table.transitions:
            if t.dest in inside and set(t.sources) - inside:
                hub = hubs.get(frozenset(t.sources) & inside)
                edge(entry, hub if hub else t.dest, None if hub else t.event)
        if any(source == entry for source, _ in edges):
            declared.append(f'    state "from another phase" as {entry}')
    lines += declared
    for sources, hub in hubs.items():
        covered: set[str] = set()
        for other, other_hub in sorted(hubs.items(), key=lambda kv: -len(kv[0])):
            if other < sources and not other & covered:
                edge(other_hub, hub)
                covered |= other
        for state in view:
            if state in sources and state not in covered:
                edge(state, hub)
    for t in table.transitions:
        sources = frozenset(t.sources) & inside
        if not sources:
            continue
        if t.dest != "=" and sources in hubs:
            edge(hubs[sources], target(t.dest), t.event)
            continue
        for source in t.sources:
            if source in inside:
                edge(source, source if t.dest == "=" else target(t.dest), t.event)
    for state in view:
        if state in table.final:
            edge(state, "[*]")
    for (source, dest), labels in edges.items():
        label = f": {' / '.join(labels)}" if labels else ""
        lines.append(f"    {source} --> {dest}{label}")
    return "\n".join(lines) + "\n"


def _phase_name(table: FlowTable, state: str) -> str:
    """The name of the phase ``state`` is in (a node standing for that phase)."""
    for name, states in phases(table):
        if state in states:
            return f"phase: {name}"
    return state  # pragma: no cover - every state has a phase


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
        *_diagrams(table, level=level, html=html),
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


def diagram(flow: str, fmt: str = "mermaid", part: str | None = None) -> str:
    """What ``cognito-flows diagram FLOW --format FMT [--part PART]`` prints.

    Mermaid: one diagram, ``part`` (default: the first of :func:`parts`, the overview of a
    flow drawn in phases). Markdown: the flow's whole section (every part).

    Raises:
        KeyError: no flow table has that name, or no such part.
        ValueError: an unknown format.
    """
    if fmt == "mermaid":
        return mermaid(flow, part=part or parts(flow)[0])
    if fmt == "markdown":
        return f"# {flow_title(flow)}\n\n" + markdown(flow)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def flow_page(flow: str | FlowTable) -> str:
    """A whole page for a flow without a hand-written one: its module's docstring, then
    :func:`markdown` (for the docs site)."""
    table = _table(flow)
    doc = inspect.getdoc(flow_module(table)) or ""
    return f"# {flow_title(table)}\n\n{_rst_to_md(doc)}\n\n{markdown(table, html=True)}"


#: Diagrams with more nodes than this are drawn wider than the page, scrolling sideways.
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


def _diagrams(table: FlowTable, *, level: int, html: bool) -> list[str]:
    """The fenced diagram of a flow, or for a flow with phases its overview and a diagram
    per phase, each under a heading one level down."""
    names = parts(table)
    if names == (FULL,):
        return [_fenced(table, FULL, html=html)]
    h = "#" * (level + 1)
    out = [
        "Drawn in parts: an overview of the phases (each node lists its states; a "
        "◇ node joins the arrows many phases share), then each phase's states with every "
        "arrow that leaves them (another phase is one node; the arrows that enter from "
        f"another phase come from one node). `cognito-flows diagram {table.name} --part "
        "PART` prints each, `--part full` the whole automaton in one diagram.",
        "",
    ]
    for part in names:
        out += [f"{h} {part_title(table, part)}", "", _fenced(table, part, html=html)]
    return out


def _fenced(table: FlowTable, part: str, *, html: bool) -> str:
    text = mermaid(table, part=part).rstrip("\n")
    fence = f"```mermaid\n{text}\n```\n"
    if not html:
        return fence
    nodes = len(re.findall(r"^    state \S", text, re.M))
    wide = " cf-diagram-wide" if nodes > _WIDE_AFTER else ""
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
