"""The import rules of the layers, as a test: every import of every module of cognito_flows and
cognito_local (``TYPE_CHECKING`` blocks and imports inside functions included) goes only to
a layer the table in ``cognito_flows/__init__.py``'s docstring allows, and the layers have no
import circle; the modules of the ``tokens`` package keep to the table in its own docstring
the same way. No dependency but the standard library's ``ast``.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from pathlib import Path

import cognito_flows

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cognito_flows", "cognito_local")


def _rows(block: str) -> list[tuple[list[str], set[str]]]:
    """The lines ``unit, unit -> allowed, allowed`` of a table (``-``: nothing)."""
    rows = []
    for line in block.splitlines():
        match = re.fullmatch(r"\s*([\w., ]+?)\s*->\s*(.*?)\s*", line)
        assert match, f"unreadable layer line: {line!r}"
        allowed = {u.strip() for u in match[2].split(",") if u.strip() and u.strip() != "-"}
        rows.append(([u.strip() for u in match[1].split(",")], allowed))
    return rows


def _table() -> dict[str, set[str]]:
    """The layer table as ``cognito_flows``'s docstring writes it: ``unit -> allowed units``."""
    doc = cognito_flows.__doc__ or ""
    block = doc.split("Layers", 1)[1].split("\n\n", 2)[1]
    table: dict[str, set[str]] = {}
    below_pool: set[str] = set()
    for units, allowed in _rows(block):
        if "*" in allowed:  # every layer listed above pool
            allowed = (allowed - {"*"}) | below_pool
        for unit in units:
            table[unit] = allowed
        if "pool" not in table:
            below_pool.update(units)
    return table


def _tokens_table() -> dict[str, set[str]]:
    """The table of the ``tokens`` package's modules, from its docstring (read, not imported)."""
    doc = ast.get_docstring(ast.parse((ROOT / "cognito_flows/tokens/__init__.py").read_text()))
    block = (doc or "").split("One module per job", 1)[1].split("::\n\n", 1)[1]
    return {unit: allowed for units, allowed in _rows(block.split("\n\n")[0]) for unit in units}


def _unit(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "cognito_local":
        return "cognito_local"
    if len(parts) == 1:
        return "cognito_flows"
    return parts[1]


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@functools.cache  # one parse of the whole tree serves every test
def _imports() -> dict[str, set[tuple[str, str]]]:
    """For each module: ``(imported module, where)`` for every import of the two packages."""
    found: dict[str, set[tuple[str, str]]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            module = ".".join(parts[:-1] if is_package else parts)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            targets: set[tuple[str, str]] = set()
            for node in ast.walk(tree):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Import):
                    targets |= {(alias.name, where) for alias in node.names}
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = module.split(".")
                        if not is_package:
                            base = base[:-1]
                        base = base[: len(base) - (node.level - 1)]
                        name = ".".join([*base, *([node.module] if node.module else [])])
                    else:
                        name = node.module or ""
                    # ``from package import submodule`` imports the submodule.
                    subs = {
                        f"{name}.{a.name}" for a in node.names if _is_module(f"{name}.{a.name}")
                    }
                    targets |= {(t, where) for t in subs} or {(name, where)}
            found[module] = {
                (t, w) for t, w in targets if t.split(".")[0] in PACKAGES and t != module
            }
    return found


def test_every_import_follows_the_layer_table() -> None:
    table = _table()
    wrong = []
    for module, targets in _imports().items():
        source = _unit(module)
        assert source in table, f"{source} (from {module}) is not in the layer table"
        for target, where in targets:
            unit = _unit(target)
            if unit != source and unit not in table[source]:
                wrong.append(f"{where}: {source} imports {target}")
    assert wrong == []


def test_the_layers_have_no_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    for module, targets in _imports().items():
        source = _unit(module)
        graph.setdefault(source, set()).update(_unit(t) for t, _ in targets if _unit(t) != source)
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join([*path, node])
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, (*path, node))
        done.add(node)

    for node in sorted(graph):
        visit(node, ())


def test_the_tokens_modules_follow_their_table() -> None:
    """Inside ``tokens`` a module imports only the modules its table names: never the package
    itself (its ``__init__`` imports every module, so that would be a circle), never one
    above it; other layers are the library table's business. The table has no circle."""
    table = _tokens_table()
    modules = {m: t for m, t in _imports().items() if m.startswith("cognito_flows.tokens.")}
    assert set(modules) == {f"cognito_flows.tokens.{name}" for name in table}
    wrong = []
    for module, targets in modules.items():
        allowed = table[module.rsplit(".", 1)[1]]
        for target, where in targets:
            if _unit(target) == "tokens":
                name = target.split(".")[2] if target.count(".") >= 2 else "__init__"
                if name not in allowed:
                    wrong.append(f"{where}: {module} imports {target}")
    assert wrong == []

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join([*path, node])
        for nxt in sorted(table.get(node, ())):
            visit(nxt, (*path, node))

    for node in sorted(table):
        visit(node, ())


def test_the_emulator_needs_only_srp() -> None:
    for module, targets in _imports().items():
        if _unit(module) == "cognito_local":
            assert {t for t, _ in targets if t.startswith("cognito_flows")} <= {
                "cognito_flows.srp"
            }, module
