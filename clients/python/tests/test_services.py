"""The lower layer wraps every RPC of both services (a new RPC in proto/ needs a method here)."""

import re

import pytest

from kitaru_client import PlannerClient, RunnerClient
from kitaru_client.gen.kitaru.planner.v1 import planner_service_pb2
from kitaru_client.gen.kitaru.runner.v1 import runner_service_pb2


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize(
    "client_class, descriptor",
    [
        (RunnerClient, runner_service_pb2.DESCRIPTOR.services_by_name["RunnerService"]),
        (PlannerClient, planner_service_pb2.DESCRIPTOR.services_by_name["PlannerService"]),
    ],
)
def test_every_rpc_has_a_method(client_class, descriptor):
    missing = [m.name for m in descriptor.methods if not callable(getattr(client_class, snake(m.name), None))]
    assert missing == [], f"{client_class.__name__} wraps no {missing}"
    assert len(descriptor.methods) >= 2
