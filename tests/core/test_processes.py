"""docker-compose.yml, the Dockerfile and the CI smoke test (.ci/smoke.py) take every process's
command from deploy/processes, so what CI starts is what production runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _compose_commands() -> dict[str, str]:
    commands, service = {}, None
    for line in (ROOT / "docker-compose.yml").read_text().splitlines():
        if match := re.match(r"^  ([a-z]+):$", line):
            service = match.group(1)
        elif match := re.match(r"^    command: (.+)$", line):
            commands[service] = match.group(1)
    return commands


def test_compose_runs_each_app_process_from_deploy_processes():
    commands = _compose_commands()
    for service in ("web", "worker", "beat"):
        assert commands[service] == f'["sh", "deploy/processes", "{service}"]'
    assert set(commands) == {"redis", "web", "worker", "beat"}  # nothing else defines its own


def test_dockerfile_and_smoke_use_the_same_entry_points():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "sh deploy/processes collectstatic" in dockerfile
    assert 'CMD ["sh", "deploy/processes", "web"]' in dockerfile
    smoke = (ROOT / ".ci" / "smoke.py").read_text()
    assert '["sh", "deploy/processes", "collectstatic"]' in smoke
    assert '["sh", "deploy/processes", name]' in smoke
    assert 'for name in ("web", "worker", "beat")' in smoke


def test_each_process_name_is_known_and_others_are_refused():
    script = (ROOT / "deploy" / "processes").read_text()
    for name in ("collectstatic", "web", "worker", "beat"):
        assert re.search(rf"^  {name}\)$", script, re.MULTILINE)
    refused = subprocess.run(
        ["sh", str(ROOT / "deploy" / "processes"), "shell"],  # noqa: S607 - the system sh
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "usage" in refused.stderr
