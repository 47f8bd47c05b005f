"""The documentation generated from the code says what the code does, and the site builds.

* every flow table is found, and its generated diagram and Markdown name every state and
  every event of the table;
* the handler named for each waiting state is the one the flow's driver asks for (built
  with a bare FlowContext, no pool);
* the error reference lists every exception class, each with advice;
* the hand-written pages agree with the code (the sign-in challenge table, the markers);
* ``cognito-flows diagram`` prints the generated diagram;
* ``mkdocs build --strict`` passes, with a page per flow whose diagram lists every state.
  Skipped when mkdocs is not installed, unless ``CF_REQUIRE_DOCS=1`` (then it fails).
"""

from __future__ import annotations

import argparse
import base64
import html
import importlib
import importlib.util
import io
import json
import os
import pkgutil
import re
import subprocess
import sys
import zlib
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from cognito_flows import errors, tokens
from cognito_flows.cli import diagram as diagram_cli
from cognito_flows.engine import FlowTable

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))  # the site's generator is a build tool beside docs/hooks.py
import docs_gen  # noqa: E402

TABLES = docs_gen.flow_tables()
NAMES = list(TABLES)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


# --------------------------------------------------------------------------------------
# Flow tables and their diagrams


def test_every_flow_table_is_found() -> None:
    expected: dict[str, FlowTable] = {}
    import cognito_flows.flows as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"cognito_flows.flows.{info.name}")
        for value in vars(module).values():
            if isinstance(value, FlowTable):
                expected[value.name] = value
    assert set(TABLES) == set(expected)
    assert {"sign_in", "sign_up", "forgot_password"} <= set(TABLES)
    assert NAMES[:3] == ["sign_up", "sign_in", "forgot_password"]
    for name, table in TABLES.items():
        assert table is expected[name]


@pytest.mark.parametrize("flow", NAMES)
def test_diagram_has_every_state_and_event(flow: str) -> None:
    table = TABLES[flow]
    text = docs_gen.mermaid(flow)
    assert text.startswith(("stateDiagram-v2", "---")) and "stateDiagram-v2" in text
    words = _words(text)
    missing_states = [s for s in table.states if s not in words]
    missing_events = [e for e in table.events if e not in words]
    assert not missing_states, f"{flow}: states not in the diagram: {missing_states}"
    assert not missing_events, f"{flow}: events not in the diagram: {missing_events}"
    for state in table.states:  # each state is declared as a node
        assert re.search(rf"^\s*state \"{state}[^\"]*\" as {state}$", text, re.M), state
    assert f"[*] --> {table.initial}" in text
    for state in table.final:
        assert f"{state} --> [*]" in text


@pytest.mark.parametrize("flow", NAMES)
def test_markdown_has_diagram_and_every_state_and_event(flow: str) -> None:
    table = TABLES[flow]
    page = docs_gen.markdown(flow)
    for part in docs_gen.parts(flow):
        assert "```mermaid\n" + docs_gen.mermaid(flow, part=part) in page + "\n", part
    states = re.search(r"## States\n(.*?)## Events", page, re.S)
    events = re.search(r"## Events\n(.*)", page, re.S)
    assert states and events
    for state in table.states:
        assert f"| `{state}` |" in states.group(1), state
    for event in table.events:
        assert f"| `{event}` |" in events.group(1), event
    for state, handler in docs_gen.handlers_for(flow).items():
        assert re.search(rf"\| `{state}` \| [^|]+ \| `{handler}` \|", page), (state, handler)


@pytest.mark.parametrize("flow", NAMES)
def test_every_waiting_state_has_the_handler_its_driver_asks_for(flow: str) -> None:
    # A driver needs only a FlowContext (no pool): build each flow in each waiting state and
    # compare the handler its step names with the documented one.
    import attrs

    from cognito_flows.drivers.context import FlowContext
    from cognito_flows.pool import _DRIVERS

    async def no_call(operation: str, /, **params: Any) -> dict[str, Any]:
        raise AssertionError("no call expected")

    ctx = FlowContext(
        user_pool_id="docs_probe",
        client_id="docs-probe",
        call=no_call,
        srp=None,  # type: ignore[arg-type]
        clock=lambda: 0.0,
        session_validity=180.0,
        device_store=None,  # type: ignore[arg-type]
        flows=None,  # type: ignore[arg-type]
    )
    table = TABLES[flow]
    driver = _DRIVERS[flow]
    handlers = docs_gen.handlers_for(flow)
    for state in table.states:
        if docs_gen.state_kind(table, state) != "waiting":
            continue
        assert handlers.get(state), f"{flow}: no handler documented for {state}"
        required = {
            f.name: "probe"
            for f in attrs.fields(driver.data_class)
            if f.default is attrs.NOTHING and f.name != "state"
        }
        step = driver(ctx, driver.data_class(**required, state=state)).step
        assert step.handler == handlers[state], (flow, state)


def test_html_markdown_wraps_large_diagrams_and_links_the_live_editor() -> None:
    page = docs_gen.markdown("sign_in", html=True)
    assert '<div class="cf-diagram cf-diagram-wide" markdown>' in page
    url = re.search(r"\((https://mermaid\.live/edit#pako:[^)]+)\)", page)
    assert url
    packed = url.group(1).split("pako:", 1)[1]
    state = json.loads(zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))))
    # The first diagram of the sign-in is its overview (the phases follow, each linked).
    assert state["code"] == docs_gen.mermaid("sign_in", part="overview").rstrip("\n")
    assert page.count("https://mermaid.live/edit#pako:") == len(docs_gen.parts("sign_in"))
    assert '<div class="cf-diagram" markdown>' in docs_gen.markdown("sign_up", html=True)
    assert "<div" not in docs_gen.markdown("sign_in")


def test_unknown_flow_and_format() -> None:
    with pytest.raises(KeyError, match="no_such_flow"):
        docs_gen.mermaid("no_such_flow")
    with pytest.raises(ValueError, match="unknown format"):
        docs_gen.diagram("sign_in", "svg")


def test_generated_flow_page_uses_the_module_docstring() -> None:
    for name in NAMES:
        page = docs_gen.flow_page(name)
        assert page.startswith(f"# {docs_gen.flow_title(name)}\n")
        first = (docs_gen.flow_module(name).__doc__ or "").strip().split("\n", 1)[0]
        assert first.split(":")[0].replace("``", "`") in page
    assert docs_gen.flow_title("totp_setup") == "TOTP setup"


# --------------------------------------------------------------------------------------
# Errors


def _module_exceptions(module: object) -> set[type[BaseException]]:
    found = set()
    for name in getattr(module, "__all__", ()):
        value = getattr(module, name, None)
        if isinstance(value, type) and issubclass(value, BaseException):
            found.add(value)
    return found


def test_error_reference_lists_every_exception_with_advice() -> None:
    classes = docs_gen.exception_classes()
    expected = _module_exceptions(errors) | _module_exceptions(tokens)
    assert expected <= set(classes)
    reference = docs_gen.error_reference()
    for cls in classes:
        assert f"{{#{cls.__name__.lower()}}}" in reference, cls
        assert docs_gen.advice_for(cls) != "See the class documentation.", cls
    # Every Cognito error code class says its code.
    for cls in expected:
        code = getattr(cls, "code_name", "")
        if code and cls.__dict__.get("code_name"):
            assert f"Cognito code `{code}`" in reference, cls


def test_base_classes_come_before_subclasses() -> None:
    classes = docs_gen.exception_classes()
    for i, cls in enumerate(classes):
        for base in cls.__mro__[1:]:
            if base in classes:
                assert classes.index(base) < i, (base, cls)


# --------------------------------------------------------------------------------------
# Hand-written pages agree with the code


def test_sign_in_page_lists_every_handler() -> None:
    from cognito_flows.flows.sign_in import HANDLER_FOR_STATE, SIGN_IN

    page = (DOCS / "flows" / "sign_in.md").read_text(encoding="utf-8")
    table = page.split("## Challenges and their handlers", 1)[1].split("\n## ", 1)[0]
    for state, handler in HANDLER_FOR_STATE.items():
        if state in SIGN_IN.internal:
            continue
        row = next(
            (line for line in table.splitlines() if re.match(rf"\| [^|]*`{state}`", line)), None
        )
        assert row is not None, f"{state} is missing from the sign-in challenge table"
        assert f"`{handler}`" in row, (state, handler)


def test_markers_in_the_pages_are_known() -> None:
    for page in DOCS.rglob("*.md"):
        if "_mermaid" in page.parts or "node_modules" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        for kind, arg in re.findall(r"<!--\s*cf:([a-z-]+)(?:\s+(\w+))?\s*-->", text):
            assert kind in (
                "flow",
                "diagram",
                "flows",
                "errors",
                "cli",
                "local-operations",
                "fixtures",
                "examples",
            ), (page, kind)
            if kind in ("flow", "diagram"):
                assert arg in TABLES, (page, arg)
    expanded = docs_gen.expand_markers("a <!-- cf:diagram sign_up --> b")
    assert "```mermaid" in expanded
    with pytest.raises(ValueError, match="unknown docs marker"):
        docs_gen.expand_markers("<!-- cf:nonsense -->")


def test_cli_and_fixture_references_are_generated() -> None:
    cli = docs_gen.cli_reference()
    assert "## `cognito-flows`" in cli and "## `cognito-flows sign-in`" in cli
    fixtures = docs_gen.pytest_fixtures()
    assert "| `cognito_local` |" in fixtures
    operations = docs_gen.local_operations()
    assert "`InitiateAuth`" in operations and "`RespondToAuthChallenge`" in operations


# --------------------------------------------------------------------------------------
# Command line


def _run_cli(argv: list[str]) -> str:
    parser = argparse.ArgumentParser(prog="cognito-flows")
    diagram_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out = io.StringIO()
    with redirect_stdout(out):
        assert args.run(args) == 0
    return out.getvalue()


@pytest.mark.parametrize("flow", NAMES)
def test_cli_diagram_prints_the_generated_diagram(flow: str) -> None:
    first = docs_gen.parts(flow)[0]
    assert _run_cli(["diagram", flow]) == docs_gen.mermaid(flow, part=first)
    assert _run_cli(["diagram", flow, "--part", "full"]) == docs_gen.mermaid(flow)
    for part in docs_gen.parts(flow):
        assert _run_cli(["diagram", flow, "--part", part]) == docs_gen.mermaid(flow, part=part)
    markdown = _run_cli(["diagram", flow, "--format", "markdown"])
    assert markdown == f"# {docs_gen.flow_title(flow)}\n\n" + docs_gen.markdown(flow)


def test_cli_diagram_refuses_a_part_the_flow_lacks(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="cognito-flows")
    diagram_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["diagram", "sign_up", "--part", "overview"])
    assert args.run(args) == 2
    assert "sign_up has no diagram part 'overview'" in capsys.readouterr().err


def test_sign_in_overview_lists_every_state_in_its_phase() -> None:
    text = docs_gen.mermaid("sign_in", part="overview")
    words = _words(text)
    assert all(state in words for state in TABLES["sign_in"].states)
    assert "<<choice>>" in text  # the arrows every phase shares go through one node


def test_cli_diagram_rejects_an_unknown_flow(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _run_cli(["diagram", "no_such_flow"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_cognito_flows_command_has_diagram_when_registered() -> None:
    from cognito_flows import cli

    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "diagram" not in commands.choices:
        pytest.skip("cognito_flows/cli/__init__.py does not register the diagram command yet")
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["diagram", "sign_up"]) == 0
    assert out.getvalue() == docs_gen.mermaid("sign_up")


# --------------------------------------------------------------------------------------
# The site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as ``mkdocs build --strict`` builds it (once for the module)."""
    needed = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
    missing = [m for m in needed if importlib.util.find_spec(m.split(".")[0]) is None]
    if missing:
        if os.environ.get("CF_REQUIRE_DOCS") == "1":
            pytest.fail(f"CF_REQUIRE_DOCS=1 but {', '.join(missing)} not installed")
        pytest.skip(f"needs {', '.join(missing)} (pip install -e '.[docs]')")
    site = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    return site


def test_mkdocs_build_strict(site: Path) -> None:
    """``mkdocs build --strict`` passes; every flow has a page with its generated diagram."""
    for name in TABLES:
        page = site / "flows" / name / "index.html"
        assert page.is_file(), f"no page for flow {name}"
        text = page.read_text(encoding="utf-8")
        blocks = re.findall(r'<pre class="mermaid"><code>(.*?)</code></pre>', text, re.S)
        assert blocks, f"no mermaid diagram on the {name} page"
        drawn = [html.unescape(block).rstrip("\n") for block in blocks]
        expected = [docs_gen.mermaid(name, part=p).rstrip("\n") for p in docs_gen.parts(name)]
        assert drawn == expected, name
    examples = (site / "examples" / "index.html").read_text(encoding="utf-8")
    for program in sorted((DOCS / "examples").glob("*.py")):
        assert program.name in examples, program
    errors_page = (site / "errors" / "index.html").read_text(encoding="utf-8")
    for cls in docs_gen.exception_classes():
        assert f'id="{cls.__name__.lower()}"' in errors_page, cls
    fixtures_page = (site / "testing" / "index.html").read_text(encoding="utf-8")
    assert "<code>cognito_local</code>" in fixtures_page  # the generated fixture list


def test_the_site_loads_nothing_from_the_network(site: Path) -> None:
    """No script, stylesheet or font from another host: mermaid.js is bundled
    (``docs/hooks.py``) and Material's Google Fonts are off (``theme.font: false``)."""
    assert (site / "javascripts" / "mermaid.min.js").stat().st_size > 100_000
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        external = [
            tag
            for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", text)
            if re.search(r"\b(?:src|href)=\"(?:https?:)?//", tag) and 'rel="canonical"' not in tag
        ]
        assert not external, (page, external[:3])
        assert "fonts.googleapis.com" not in text and "unpkg.com" not in text, page


def test_built_site_draws_its_diagrams_in_chromium_without_a_network(
    site: Path, tmp_path: Path
) -> None:
    """The sign-in page, served on 127.0.0.1, in Chromium whose every other host name fails
    to resolve: Material finds the bundled mermaid and replaces each diagram's source
    (``<pre class="mermaid"><code>``) by the drawn diagram (a ``div.mermaid`` holding the
    SVG in a closed shadow root). A screenshot lands in the test's directory."""
    import functools
    import http.server
    import threading

    try:
        from .test_diagram_render import CHROMIUM_FLAGS, _require
    except ImportError:  # tests/ is not a package
        from test_diagram_render import CHROMIUM_FLAGS, _require  # type: ignore[no-redef]

    chromium = _require()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/flows/sign_in/"
        offline = [
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1400,1800",
            "--virtual-time-budget=60000",
        ]
        dom = subprocess.run(
            [chromium, *offline, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        screenshot = tmp_path / "sign_in.png"
        subprocess.run(
            [chromium, *offline, f"--screenshot={screenshot}", url],
            capture_output=True,
            timeout=180,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    page = dom.stdout
    assert "Sign-in" in page or "sign_in" in page, dom.stderr[-2000:]
    assert "stateDiagram-v2" not in page, "a diagram was left as Mermaid source"
    drawn = re.findall(r'<div class="mermaid"', page)
    assert len(drawn) >= 1, page[-3000:]
    assert screenshot.stat().st_size > 10_000


def test_no_stray_brace_after_the_live_editor_link(site: Path) -> None:
    page = (site / "flows" / "sign_up" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r"Open this diagram in the Mermaid Live Editor</a>(.{0,8})", page)
    assert links
    assert all(not after.startswith("}") for after in links), links
