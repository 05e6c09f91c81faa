"""fastnn's import graph: no cycles, and no package reaches into another's private parts.

Every import counts, at the top of a module or inside a function (``scripts/import_graph.py``
prints the graph's cycles and private imports; these tests assert both lists empty).
"""

import importlib.util
import pathlib

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "import_graph.py"


def _graph():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    known = module.modules()
    return module, known, module.imports(known)


def test_fastnn_has_no_import_cycles():
    module, _, edges = _graph()
    assert module.cycles(edges) == []


def test_the_graph_finds_a_cycle_and_a_private_import_when_there_is_one():
    module, known, edges = _graph()
    edges = {m: set(t) for m, t in edges.items()}
    edges["fastnn.model"].add(("fastnn.curvature", None))  # curvature imports model
    assert any("fastnn.model" in c and "fastnn.curvature" in c for c in module.cycles(edges))
    edges["fastnn.trainability"].add(("fastnn.grid._store", None))
    assert "fastnn.trainability -> fastnn.grid._store" in module.private_imports(edges, known)


def test_no_package_imports_another_packages_private_modules_or_names():
    module, known, edges = _graph()
    assert module.private_imports(edges, known) == []
