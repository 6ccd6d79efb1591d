"""Which of our packages may import which: the architecture, read from the source with `ast`.

Every import counts, wherever it is written (inside a function, under TYPE_CHECKING), since
each one would pull the other package into a process that is deployed without it.
"""

import ast
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Our top-level packages: the repository's folders that hold an __init__.py.
OURS = frozenset(init.parent.name for init in REPO.glob("*/__init__.py"))


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the dotted name of the module it loads

    def __str__(self) -> str:
        source = self.path.read_text().splitlines()[self.line - 1].strip()
        return f"{self.path.relative_to(REPO)}:{self.line}: {source}  ({self.module})"


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _is_our_module(dotted: str) -> bool:
    path = REPO.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imported_modules(node: ast.Import | ast.ImportFrom, path: Path) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:  # relative: count the package up from the file's own
        package = path.relative_to(REPO).parent.parts
        anchor = ".".join(package[: len(package) - node.level + 1])
        base = f"{anchor}.{base}" if base else anchor
    for alias in node.names:
        # `from worker_service import store` loads the module worker_service.store.
        submodule = f"{base}.{alias.name}"
        yield submodule if _is_our_module(submodule) else base


def imports_of(folder: str) -> list[Import]:
    """Every import in the Python files under `folder` (a path from the repository root)."""
    # Not the frontend's node_modules: a package there may ship Python of its own.
    paths = sorted(p for p in (REPO / folder).rglob("*.py") if "node_modules" not in p.parts)
    assert paths, f"no Python files under {folder}: has it moved?"
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [Import(path, node.lineno, m) for m in _imported_modules(node, path)]
    return found


def refused(folder: str, forbidden: Callable[[str], bool]) -> str:
    """The imports under `folder` of a forbidden module, one a line ("" when there is none)."""
    return "\n".join(str(found) for found in imports_of(folder) if forbidden(found.module))


def test_the_runner_imports_nothing_of_the_worker_service_outside_its_own_package() -> None:
    # A runner is deployed beside the service, not inside it: it speaks to it over HTTP.
    def outside_the_runner(module: str) -> bool:
        return within(module, "worker_service") and not within(module, "worker_service.runner")

    found = refused("worker_service/runner", outside_the_runner)
    assert not found, found


def test_the_producer_api_and_the_worker_service_never_import_each_other() -> None:
    found = refused("producer_api", lambda module: within(module, "worker_service"))
    assert not found, found
    found = refused("worker_service", lambda module: within(module, "producer_api"))
    assert not found, found


def test_job_contract_imports_only_the_standard_library_and_pydantic() -> None:
    # Any side (and any runner) can import the contract without pulling in another; pydantic
    # brings email-validator for EmailStr itself, and pydantic_core is pydantic's own core
    # (its custom validation errors live there).
    allowed = sys.stdlib_module_names | {"pydantic", "pydantic_core", "job_contract"}

    found = refused("job_contract", lambda module: module.split(".")[0] not in allowed)
    assert not found, found


def test_jobdeck_runtime_imports_nothing_of_ours() -> None:
    # Start-up plumbing every process uses, including those that hold no database.
    ours_but_itself = OURS - {"jobdeck_runtime"}

    found = refused("jobdeck_runtime", lambda module: module.split(".")[0] in ours_but_itself)
    assert not found, found


def test_the_frontend_reaches_the_apis_only_over_http() -> None:
    # The dashboard holds no database credentials and proves the public API is complete.
    def backend(module: str) -> bool:
        return any(
            within(module, name) for name in ("producer_api", "worker_service", "jobdeck_db")
        )

    found = refused("frontend", backend)
    assert not found, found


def test_a_forbidden_import_is_named_with_its_file_and_line() -> None:
    # The checks above pass only if they can fail: the runner does import job_contract.
    found = refused("worker_service/runner", lambda module: within(module, "job_contract.bounds"))

    assert "worker_service/runner/acks.py:" in found
    assert "from job_contract.bounds import MAX_COMPLETE_BATCH" in found
