"""README.md agrees with .env.example, the settings classes and the apps' route tables."""

import re
import shlex
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from frontend.settings import Settings as FrontendSettings
from jobdeck_access.middleware import AccessTable
from jobdeck_access.roles import PRODUCER_API, WORKER_SERVICE
from producer_api.settings import Settings as ProducerSettings
from tests.env_example import env_example_keys
from tests.route_tables import Routes, producer_routes, worker_routes
from worker_service.runner.settings import RunnerSettings
from worker_service.settings import Settings as WorkerSettings

README = Path(__file__).resolve().parents[2] / "README.md"
# The names the table's "read by" column uses for services that have a Settings class.
READERS: dict[str, type[BaseSettings]] = {
    "producer API": ProducerSettings,
    "worker service": WorkerSettings,
    "runners": RunnerSettings,
    "dashboard": FrontendSettings,
}
PORTS = {8000: producer_routes, 3000: worker_routes}
ACCESS = {8000: AccessTable(PRODUCER_API), 3000: AccessTable(WORKER_SERVICE)}


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def settings_table() -> dict[str, tuple[str, list[str]]]:
    """{variable: (default cell, [readers])} from the Settings section's table."""
    rows: dict[str, tuple[str, list[str]]] = {}
    for line in section("Settings").splitlines():
        if cells := re.match(r"\| `([A-Z][A-Z0-9_]*)` \| (.+?) \| (.+?) \| .+ \|$", line):
            name, default, readers = cells.groups()
            assert name not in rows, f"{name} is in the table twice"
            rows[name] = (default, [reader.strip() for reader in readers.split(",")])
    return rows


def settings_classes_with(variable: str) -> set[str]:
    return {
        reader for reader, settings in READERS.items() if variable.lower() in settings.model_fields
    }


# --- the settings table ----------------------------------------------------------------------


def test_the_settings_table_lists_exactly_the_variables_of_env_example() -> None:
    table, documented = set(settings_table()), set(env_example_keys())

    assert table - documented == set(), "in the README only"
    assert documented - table == set(), "in .env.example only"


def test_the_settings_table_gives_env_examples_defaults() -> None:
    table = settings_table()

    for name, value in env_example_keys().items():
        default, _ = table[name]
        if value is None:  # commented out in .env.example: unset by default
            assert default.startswith("unset"), f"{name}: {default}"
        else:
            assert default == f"`{value}`", f"{name}: README says {default}, .env.example {value}"


def test_the_settings_table_names_every_service_whose_settings_have_the_variable() -> None:
    for name, (_, readers) in settings_table().items():
        expected = settings_classes_with(name)
        if not expected:
            continue  # read straight from the environment; test_compose checks where
        named = {reader for reader in readers if reader in READERS}
        assert named == expected, f"{name} is read by {sorted(expected)}, README: {readers}"


# --- curl examples ---------------------------------------------------------------------------


def _without_comment(line: str) -> str:
    """The line up to a `#` that starts a comment (one outside quotes on that line)."""
    for mark in re.finditer(r"(?:^|\s)#", line):
        before = line[: mark.start()]
        if before.count("'") % 2 == 0 and before.count('"') % 2 == 0:
            return before
    return line


def curl_commands() -> list[list[str]]:
    """Every curl command in the README's sh blocks, as argument lists."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL):
        code = "\n".join(_without_comment(line) for line in block.splitlines())
        # Quotes may span lines; a newline, pipe, `;` or `$(` outside them ends a command.
        lexer = shlex.shlex(code.replace("\\\n", " "), posix=True, punctuation_chars="();|&\n")
        lexer.whitespace, lexer.whitespace_split = " \t", True
        command: list[str] = []
        for token in [*lexer, "\n"]:
            if set(token) <= set("();|&\n"):
                if command and command[0] == "curl":
                    commands.append(command)
                command = []
            else:
                command.append(token)
    return commands


def request_of(curl: list[str]) -> tuple[str, int, str]:
    """(method, port, path) of a curl command as written."""
    method = None
    if "-X" in curl:
        method = curl[curl.index("-X") + 1]
    sends_body = any(arg in curl for arg in ("-d", "--data", "--data-binary"))
    [url] = [arg for arg in curl if arg.startswith("localhost:")]
    port, path = re.match(r"localhost:(\d+)(/[^?]*)", url).groups()  # type: ignore[union-attr]
    return method or ("POST" if sends_body else "GET"), int(port), path


def matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


def documented_routes(port: int, routes: Routes) -> set[tuple[str, str]]:
    found = set()
    for curl in curl_commands():
        method, curl_port, path = request_of(curl)
        if curl_port == port:
            found |= {(m, t) for m, t in routes if m == method and matches(t, path)}
    return found


def test_the_readme_has_curl_examples() -> None:
    ports = {request_of(curl)[1] for curl in curl_commands()}

    assert ports == set(PORTS)


def test_every_curl_example_asks_a_route_the_app_serves() -> None:
    for curl in curl_commands():
        method, port, path = request_of(curl)
        served = PORTS[port]()
        assert any(m == method and matches(t, path) for m, t in served), (
            f"{method} localhost:{port}{path} is no route: {shlex.join(curl)}"
        )


@pytest.mark.parametrize("port", PORTS)
def test_every_route_has_a_curl_example(port: int) -> None:
    served = PORTS[port]()

    missing = served - documented_routes(port, served)

    assert not missing, f"no curl example in README.md for {sorted(missing)}"


def test_the_batch_complete_and_the_single_complete_are_both_shown() -> None:
    # /complete and /complete/{id} differ only by the id: check both really are there.
    documented = documented_routes(3000, worker_routes())

    assert {("POST", "/complete"), ("POST", "/complete/{job_id}")} <= documented


def headers_of(curl: list[str]) -> list[str]:
    return [curl[i + 1].lower() for i, arg in enumerate(curl[:-1]) if arg in ("-H", "--header")]


def test_every_curl_example_of_a_route_that_needs_a_token_sends_one() -> None:
    for curl in curl_commands():
        method, port, path = request_of(curl)
        found = ACCESS[port].lookup(method, path)
        needs_token = found is None or found[1] is not None
        sends_token = any(h.startswith("authorization: bearer $") for h in headers_of(curl))
        assert sends_token == needs_token, f"{shlex.join(curl)}: needs a token: {needs_token}"


def test_every_curl_example_that_sends_json_says_so() -> None:
    # curl's -d says application/x-www-form-urlencoded, which the APIs refuse (415).
    for curl in curl_commands():
        if "-d" in curl:
            assert "content-type: application/json" in headers_of(curl), shlex.join(curl)
