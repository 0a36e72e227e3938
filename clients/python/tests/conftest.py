"""Shared fixtures of the Python client's tests.

Offline tests (errors, connection options, retries, TLS) need nothing. Live
tests need a runner and a planner serving the flows of
test/clients/python-client.test.ts, which starts both and sets
KITARU_RUNNER_URL / KITARU_PLANNER_URL (and KITARU_RUNNER_ADDR, host:port);
without them the live tests skip.
"""

import os
import sys
import time
from typing import Iterator

import pytest

# Makes `import kitaru_client` work when pytest is started from any directory
# (pyproject.toml's `pythonpath` covers runs from clients/python).
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from kitaru_client import Execution, ExecutionStatus, KitaruClient  # noqa: E402

LIVE = bool(os.environ.get("KITARU_RUNNER_URL") and os.environ.get("KITARU_PLANNER_URL"))

live = pytest.mark.skipif(not LIVE, reason="KITARU_RUNNER_URL / KITARU_PLANNER_URL not set (no live services)")


@pytest.fixture(scope="session")
def client() -> Iterator[KitaruClient]:
    """A client of the live services, from the environment like any user's."""
    with KitaruClient(timeout=20) as c:
        yield c


def settle(client: KitaruClient, exec_id: str, timeout: float = 20.0) -> Execution:
    """Polls until the execution is terminal or waiting with a pending wait (a wait may be recorded a
    moment before the status says waiting); returns it with its checkpoints."""
    deadline = time.monotonic() + timeout
    while True:
        execution = client.executions.get(exec_id)
        waiting = execution.status is ExecutionStatus.WAITING and execution.pending_waits
        if execution.status.is_terminal or waiting or time.monotonic() > deadline:
            return execution
        time.sleep(0.05)
