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
