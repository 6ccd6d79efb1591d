"""The TypeScript runner (clients/typescript) agrees with the Python side: its protocol types
are what openapi-typescript makes of the worker's document today, its bounds are
job_contract's; and its own unit tests (`node --test`) pass."""

import json
import math
import re
import subprocess
from pathlib import Path

import pytest

from job_contract import bounds
from worker_service.openapi import openapi_document

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "typescript"
GENERATED = PACKAGE / "src" / "generated" / "worker-protocol.ts"
OPENAPI_TYPESCRIPT = PACKAGE / "node_modules" / ".bin" / "openapi-typescript"


def node_tool_installed() -> None:
    if not OPENAPI_TYPESCRIPT.exists():
        pytest.fail(f"{OPENAPI_TYPESCRIPT} is missing: `make install` installs it")


def test_the_protocol_types_are_generated_from_the_worker_services_document(
    tmp_path: Path,
) -> None:
    node_tool_installed()
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(openapi_document(), indent=2))
    regenerated = tmp_path / "worker-protocol.ts"

    subprocess.run(
        [OPENAPI_TYPESCRIPT, document, "-o", regenerated],
        cwd=PACKAGE,
        check=True,
        capture_output=True,
        timeout=120,
    )

    assert regenerated.read_text() == GENERATED.read_text(), (
        "the worker protocol changed: `make ts-protocol` regenerates the TypeScript types"
    )


def test_the_bounds_the_runner_keeps_to_are_the_contracts() -> None:
    text = (PACKAGE / "src" / "bounds.ts").read_text()
    constants = {
        name: math.prod(int(factor) for factor in value.replace("_", "").split("*"))
        for name, value in re.findall(r"export const (\w+) = ([\d_ *]+);", text)
    }

    assert constants == {name: getattr(bounds, name) for name in constants}
    assert set(constants) == {
        "MAX_CLAIM_BATCH",
        "MAX_COMPLETE_BATCH",
        "MAX_WAIT_SECONDS",
        "MAX_ERROR_CHARS",
        "DEFAULT_MAX_RESULT_BYTES",
    }


def test_the_packages_own_unit_tests_pass() -> None:
    node_tool_installed()
    finished = subprocess.run(
        ["node", "--test", "test/unit/"], cwd=PACKAGE, capture_output=True, text=True, timeout=120
    )

    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    assert re.search(r"^# pass [1-9]", finished.stdout, re.MULTILINE)
    assert re.search(r"^# fail 0$", finished.stdout, re.MULTILINE)
