"""The dependency direction: the collection (tasks/, `flame_tasks`) depends on flame_jax, never
the reverse. Only the doors import the collection to register it: the CLI, the gin
configurables, and the cache job (data.cache names the module for its workers)."""

import ast
import pathlib

import flame_jax

DOORS = {
    "flame_jax/cli.py",
    "flame_jax/configurables.py",
    "flame_jax/data/cache.py",
}


def _imports_collection(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name == "flame_tasks" or name.startswith("flame_tasks.") for name in names):
            lines.append(node.lineno)
    return lines


def test_no_flame_jax_module_imports_the_collection():
    package = pathlib.Path(flame_jax.__file__).parent
    root = package.parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name in DOORS:
            continue
        for line in _imports_collection(ast.parse(path.read_text(), filename=str(path))):
            offenders.append(f"{name}:{line}")
    assert offenders == [], "flame_jax modules importing flame_tasks: " + ", ".join(offenders)


def test_the_check_sees_every_form_of_import():
    source = "import flame_tasks\nfrom flame_tasks.cobbler import X\nfrom flame_tasks import a\n"
    assert _imports_collection(ast.parse(source)) == [1, 2, 3]
    assert _imports_collection(ast.parse("import flame_tasks_extra\nfrom . import x\n")) == []


# The house (README "The tree"): doors on top, every import arrow pointing down or level.
FLOORS = {
    "flame_jax.cli": 5,
    "flame_jax.configurables": 5,
    "flame_jax.demo": 4,
    "flame_jax.recipes": 4,
    "flame_jax.evaluation": 4,
    "flame_jax.judge": 3,
    "flame_jax.training": 3,
    "flame_jax.convert": 3,
    "flame_jax.data": 2,
    "flame_jax.format": 1,
    "flame_jax.models": 1,
    "flame_jax.partitioning": 1,
    "flame_jax.files": 1,
    "flame_jax": 1,  # the package's __init__
}
GIN_DOORS = {"flame_jax.cli", "flame_jax.configurables"}


def _modules() -> dict[str, ast.AST]:
    package = pathlib.Path(flame_jax.__file__).parent
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(), filename=str(path))
    return out


def _imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The flame_jax modules (and gin) a module imports, at any depth of its code."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names} & known
    return {n for n in out if n in known or n == "gin" or n.startswith("gin.")}


def _floor(module: str) -> int:
    while module not in FLOORS:
        module = module.rsplit(".", 1)[0]
    return FLOORS[module]


def test_every_import_points_down_and_gin_is_imported_only_at_the_doors():
    modules = _modules()
    up, gin_users = [], []
    for name, tree in modules.items():
        for target in _imported(tree, set(modules)):
            if target == "gin" or target.startswith("gin."):
                if name not in GIN_DOORS:
                    gin_users.append(name)
            elif _floor(target) > _floor(name):
                up.append(f"{name} -> {target}")
    assert gin_users == [], f"gin imported outside the doors: {gin_users}"
    assert up == [], "imports pointing up: " + ", ".join(up)


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imported(tree, set(modules)) - {"gin"} for name, tree in modules.items()}
    # A package's __init__ importing its own modules is not a cycle through them.
    graph = {n: {t for t in targets if not n.startswith(t + ".")} for n, targets in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if target == node or target not in graph:
                continue
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif not state.get(target):
                visit(target, [*path, target])
        state[node] = 2

    for name in sorted(graph):
        if not state.get(name):
            visit(name, [name])
    assert cycles == [], "import cycles: " + "; ".join(cycles)
