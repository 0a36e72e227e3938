"""The client against services that require bearer tokens and serve TLS.

test/clients/python-client.test.ts starts them beside the plain ones and sets
KITARU_SECURE_RUNNER_URL / KITARU_SECURE_PLANNER_URL (https), KITARU_SECURE_CA_FILE
(the test CA) and KITARU_SECURE_TOKEN (a token of namespace team-a).
"""

import os

import pytest

from conftest import settle
from kitaru_client import ExecutionStatus, KitaruAuthError, KitaruClient

RUNNER = os.environ.get("KITARU_SECURE_RUNNER_URL", "")
PLANNER = os.environ.get("KITARU_SECURE_PLANNER_URL", "")
CA_FILE = os.environ.get("KITARU_SECURE_CA_FILE", "")
TOKEN = os.environ.get("KITARU_SECURE_TOKEN", "")

secured = pytest.mark.skipif(not (RUNNER and PLANNER), reason="no secured services (KITARU_SECURE_* not set)")


@secured
def test_without_a_token_the_services_refuse_with_kitaru_auth_error() -> None:
    with KitaruClient(runner_url=RUNNER, planner_url=PLANNER, ca_file=CA_FILE, token=None, timeout=20) as anonymous:
        with pytest.raises(KitaruAuthError):
            anonymous.executions.list(limit=1)
    with KitaruClient(runner_url=RUNNER, planner_url=PLANNER, ca_file=CA_FILE, token="not-a-valid-token-000000", timeout=20) as wrong:
        with pytest.raises(KitaruAuthError) as raised:
            wrong.flows.run("content_pipeline", topic="nope")
        assert raised.value.code.name == "UNAUTHENTICATED"


@secured
def test_with_a_token_over_tls_it_runs_and_replays() -> None:
    with KitaruClient(runner_url=RUNNER, planner_url=PLANNER, ca_file=CA_FILE, token=TOKEN, timeout=20) as client:
        started = client.flows.run("content_pipeline", topic="over TLS")
        assert settle(client, started.exec_id).status is ExecutionStatus.COMPLETED
        replayed = client.executions.replay(started.exec_id, from_="publish")
        assert replayed.original_exec_id == started.exec_id
