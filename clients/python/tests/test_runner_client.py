"""The lower layer (RunnerClient, PlannerClient, the generated stubs) against the live services.

Run by test/clients/python-client.test.ts, which starts a runner (host:port in
KITARU_RUNNER_ADDR, URL in KITARU_RUNNER_URL) and a planner (KITARU_PLANNER_URL)
on a fresh test database. Error classes are checked from the status details alone.
"""

import os
import time
import uuid

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from kitaru_client import (
    KitaruNotFoundError,
    KitaruStateError,
    KitaruUsageError,
    PlannerClient,
    RunnerClient,
)
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2, runner_service_pb2, runner_service_pb2_grpc

ADDRESS = os.environ.get("KITARU_RUNNER_ADDR", "")

pytestmark = pytest.mark.skipif(not ADDRESS, reason="KITARU_RUNNER_ADDR is not set (no live runner)")


@pytest.fixture(scope="module")
def client():
    with RunnerClient(ADDRESS, timeout=20) as c:
        yield c


def wait_until_terminal(client: RunnerClient, exec_id: str, timeout: float = 20.0) -> execution_pb2.Execution:
    terminal = {
        execution_pb2.EXECUTION_STATUS_COMPLETED,
        execution_pb2.EXECUTION_STATUS_FAILED,
        execution_pb2.EXECUTION_STATUS_CANCELLED,
    }
    deadline = time.monotonic() + timeout
    while True:
        execution = client.get_execution(exec_id, full=True)
        if execution.status in terminal or time.monotonic() > deadline:
            return execution
        time.sleep(0.05)


def test_generated_stub_starts_content_pipeline_and_reads_it_back(client):
    # The raw generated stub, no wrapper: what any grpc_tools user gets.
    with grpc.insecure_channel(ADDRESS) as channel:
        stub = runner_service_pb2_grpc.RunnerServiceStub(channel)
        input_ = struct_pb2.Struct()
        input_.update({"topic": "python clients"})
        started = stub.StartExecution(
            runner_service_pb2.StartExecutionRequest(flow_name="content_pipeline", input=input_), timeout=20
        ).execution
    assert started.exec_id.startswith("kr-")
    assert started.flow_name == "content_pipeline"

    done = wait_until_terminal(client, started.exec_id)
    assert done.status == execution_pb2.EXECUTION_STATUS_COMPLETED, done
    assert RunnerClient.to_python(done.result) == "published: draft about python clients from [notes on python clients]"
    assert [c.invocation_id for c in done.checkpoints] == ["research", "write_draft", "publish"]
    assert list(done.checkpoints[1].data_dependencies) == ["research"]


def test_start_execution_is_idempotent_on_request_id(client):
    request_id = f"py-{uuid.uuid4()}"
    first = client.start_execution("content_pipeline", {"topic": "idempotency"}, request_id=request_id)
    second = client.start_execution("content_pipeline", {"topic": "idempotency"}, request_id=request_id)
    assert first.exec_id == second.exec_id
    assert wait_until_terminal(client, first.exec_id).status == execution_pb2.EXECUTION_STATUS_COMPLETED


def test_unknown_execution_is_not_found_with_the_resource_from_details(client):
    with pytest.raises(KitaruNotFoundError) as raised:
        client.get_execution("kr-aaaaaaaaaaaaaaaa")
    e = raised.value
    assert isinstance(e, KitaruStateError)
    assert e.code == grpc.StatusCode.NOT_FOUND
    assert e.reason == "KITARU_NOT_FOUND"
    assert e.resource_type == "execution"
    assert e.resource_name == "kr-aaaaaaaaaaaaaaaa"
    assert e.metadata.get("execId") == "kr-aaaaaaaaaaaaaaaa"
    assert isinstance(e.__cause__, grpc.RpcError)


def test_invalid_input_is_a_usage_error_with_field_violations(client):
    with pytest.raises(KitaruUsageError) as raised:
        client.start_execution("content_pipeline", {"topic": ""})
    e = raised.value
    assert type(e) is KitaruUsageError
    assert e.code == grpc.StatusCode.INVALID_ARGUMENT
    assert e.metadata.get("flowName") == "content_pipeline"
    assert [v.field for v in e.violations] == ["topic"]
    assert e.violations[0].description
    assert e.bad_request is not None and len(e.bad_request.field_violations) == 1


def test_unknown_flow_is_not_found_naming_the_flow(client):
    with pytest.raises(KitaruNotFoundError) as raised:
        client.start_execution("no_such_flow", {})
    assert raised.value.resource_type == "flow"
    assert raised.value.resource_name == "no_such_flow"


def test_resolve_wait_without_pending_waits_is_a_state_error(client):
    execution = client.start_execution("content_pipeline", {"topic": "no waits"})
    assert wait_until_terminal(client, execution.exec_id).status == execution_pb2.EXECUTION_STATUS_COMPLETED
    with pytest.raises(KitaruStateError) as raised:
        client.resolve_wait(execution.exec_id, "approval", {"approved": True})
    e = raised.value
    assert type(e) is KitaruStateError
    assert e.code == grpc.StatusCode.FAILED_PRECONDITION
    assert e.state is not None
    assert e.state.exec_id == execution.exec_id
    assert e.state.status == "completed"
    assert e.state.operation == "input"
    assert e.wait_selection is None


def test_metadata_and_logs_of_a_chatty_execution(client):
    # The `chatty` flow (test/fixtures/flows/observability.ts) logs metadata and writes log lines.
    execution = client.start_execution("chatty", {"label": "py"})
    done = wait_until_terminal(client, execution.exec_id)
    assert done.status == execution_pb2.EXECUTION_STATUS_COMPLETED
    assert RunnerClient.to_python(done.metadata) == {"run": "py", "stage": "end"}
    talk = next(c for c in done.checkpoints if c.invocation_id == "talk")
    assert RunnerClient.to_python(talk.metadata) == {"items": 3, "label": "py"}
    logs = client.stub.ListExecutionLogs(
        runner_service_pb2.ListExecutionLogsRequest(exec_id=execution.exec_id, checkpoint="talk"), timeout=20
    )
    assert [(e.level, e.message) for e in logs.entries] == [
        (execution_pb2.LOG_LEVEL_INFO, "starting py with 3 items"),
        (execution_pb2.LOG_LEVEL_INFO, "from the logger { label: 'py' }"),
        (execution_pb2.LOG_LEVEL_WARN, "careful"),
        (execution_pb2.LOG_LEVEL_ERROR, "something odd"),
    ]


def test_a_failure_carries_its_stack_trace_and_every_attempt(client):
    execution = client.start_execution("always_flaky", {"label": "py"})
    failed = wait_until_terminal(client, execution.exec_id)
    assert failed.status == execution_pb2.EXECUTION_STATUS_FAILED
    assert failed.failure.exception_type == "UpstreamError"
    assert failed.failure.traceback.startswith("UpstreamError: upstream refused attempt 3\n")
    call = failed.checkpoints[0]
    assert [(a.number, a.failure.message) for a in call.attempt_history] == [
        (1, "upstream refused attempt 1"),
        (2, "upstream refused attempt 2"),
        (3, "upstream refused attempt 3"),
    ]


@pytest.fixture(scope="module")
def planner():
    with PlannerClient(os.environ["KITARU_PLANNER_URL"], timeout=20) as p:
        yield p


def test_every_other_runner_rpc_through_the_lower_layer(client):
    execution = client.start_execution("approval", {"topic": "lower layer"})
    deadline = time.monotonic() + 20
    while client.get_execution(execution.exec_id).status != execution_pb2.EXECUTION_STATUS_WAITING:
        assert time.monotonic() < deadline, "the approval execution never waited"
        time.sleep(0.05)
    waits = client.list_pending_waits(execution.exec_id)
    assert [w.name for w in waits] == ["approve"]
    page = client.list_executions(flow_name="approval", status=execution_pb2.EXECUTION_STATUS_WAITING, page_size=1)
    assert len(page.executions) == 1 and page.executions[0].flow_name == "approval"
    events = list(client.watch_execution(execution.exec_id))
    assert "wait_pending" in [e.WhichOneof("kind") for e in events]
    assert events[-1].status_changed.status == execution_pb2.EXECUTION_STATUS_WAITING
    aborted = client.abort_wait(execution.exec_id, "approve")
    assert aborted.exec_id == execution.exec_id
    assert wait_until_terminal(client, execution.exec_id).status == execution_pb2.EXECUTION_STATUS_CANCELLED
    with pytest.raises(KitaruStateError):
        client.retry_execution(execution.exec_id)
    with pytest.raises(KitaruStateError):
        client.cancel_execution(execution.exec_id)

    chatty = client.start_execution("chatty", {"label": "lower"})
    wait_until_terminal(client, chatty.exec_id)
    logs = client.list_execution_logs(chatty.exec_id, checkpoint="talk", page_size=2)
    assert len(logs.entries) == 2 and logs.next_page_token
    streamed = [m.WhichOneof("kind") for m in client.watch_execution_logs(chatty.exec_id, checkpoint="talk")]
    assert streamed == ["entry"] * 4 + ["status_changed"]
    assert "content_pipeline" in [f.flow_name for f in client.list_flows()]


def test_the_planner_calls_and_its_runner_calls(client, planner):
    source = client.start_execution("content_pipeline", {"topic": "planner"})
    wait_until_terminal(client, source.exec_id)
    graph = client.get_call_graph(source.exec_id)
    assert [c.invocation_id for c in graph.lineage] == ["research", "write_draft", "publish"]
    assert not graph.calls and graph.version > 0  # the lineage only, with the version a plan carries

    plan = planner.plan_replay(source.exec_id, "publish", overrides={"checkpoint.write_draft": "my draft"})
    assert [c.invocation_id for c in plan.reuse] == ["research", "write_draft"]
    # The runner validates a plan without creating anything, then creates exactly one execution per request ID.
    preview = client.start_replay(plan, validate_only=True)
    assert preview.original_exec_id == source.exec_id
    request_id = f"py-{uuid.uuid4()}"
    created = client.start_replay(plan, request_id=request_id)
    assert client.start_replay(plan, request_id=request_id).exec_id == created.exec_id
    done = wait_until_terminal(client, created.exec_id)
    assert RunnerClient.to_python(done.result) == "published: my draft"

    replayed = planner.replay_execution(source.exec_id, "publish", args={"topic": "ignored by publish"})
    assert replayed.original_exec_id == source.exec_id
    assert RunnerClient.to_python(wait_until_terminal(client, replayed.exec_id).input) == {"topic": "ignored by publish"}
