"""The runner's handler registry: built-ins, modules plugged in with --handlers, and the one
line that refuses a module the runner cannot use. Modules are real files on sys.path."""

import re
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from job_contract import JobType
from worker_service.runner.registry import HandlerRegistry, HandlersRefused, load_registry

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "resize_image.py"


WriteModule = Callable[[str], str]


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WriteModule:
    """Write a module with this source; its (unique) importable name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(source: str) -> str:
        name = f"plugin_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        return name

    return write


def source_of(registry: HandlerRegistry, job_type: str) -> str | None:
    registration = registry.get(job_type)
    return None if registration is None else registration.source


def test_without_modules_the_runner_handles_the_built_in_types() -> None:
    registry = load_registry([])
    assert registry.types == sorted(JobType)
    assert {source_of(registry, name) for name in JobType} == {"built-in"}
    assert registry.get("resize_image") is None


def test_the_readme_shows_the_example_module_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    assert EXAMPLE.read_text() in blocks

    monkeypatch.syspath_prepend(str(EXAMPLE.parent))
    registry = load_registry(["resize_image"])
    assert registry.types == sorted([*JobType, "resize_image"])
    assert source_of(registry, "resize_image") == "resize_image"


def test_a_module_may_replace_a_built_in_handler(plugin: WriteModule) -> None:
    name = plugin("""
        async def send(job):
            return {"sent": True}

        HANDLERS = {"email": send}
    """)
    assert source_of(load_registry([name]), "email") == name


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("X = 1", "the module needs HANDLERS, a non-empty dict of job type name to async"),
        ("HANDLERS = {}", "the module needs HANDLERS"),
        ("HANDLERS = [print]", "(found a list)"),
        ("async def h(job): ...\nHANDLERS = {'Resize': h}", "HANDLERS key 'Resize' is not a"),
        ("def h(job): ...\nHANDLERS = {'resize': h}", "HANDLERS['resize'] is not an async"),
        ("raise RuntimeError('no config')", "cannot import it (RuntimeError: no config)"),
        ("HANDLERS = {", "cannot import it (SyntaxError:"),
    ],
)
def test_a_module_it_cannot_use_is_refused_naming_it(
    plugin: WriteModule, source: str, why: str
) -> None:
    name = plugin(source)
    with pytest.raises(HandlersRefused) as refused:
        load_registry([name])
    message = str(refused.value)
    assert message.startswith(f"--handlers {name}: ")
    assert why in message
    assert "\n" not in message


def test_a_missing_module_is_refused_naming_it() -> None:
    with pytest.raises(HandlersRefused, match=r"^--handlers no_such\.jobs: cannot import it"):
        load_registry(["no_such.jobs"])


def test_two_modules_cannot_handle_the_same_type(plugin: WriteModule) -> None:
    source = "async def h(job):\n    return {}\nHANDLERS = {'sync_crm': h}"
    first, second = plugin(source), plugin(source)
    with pytest.raises(HandlersRefused) as refused:
        load_registry([first, second])
    assert str(refused.value) == f"--handlers {second}: sync_crm is handled by {first} already"
