"""Flow versions, version holds, every wait of the full view and ``verify``, against an in-process fake
RunnerService: what each new wire field becomes in the plain results, and how ``verify`` pages a filter."""

import json
from concurrent import futures
from datetime import datetime, timezone
from typing import Iterator, List

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from kitaru_client import (
    DivergenceKind,
    ExecutionStatus,
    KitaruClient,
    KitaruUsageError,
    VerificationVerdict,
    WaitStatus,
)
from kitaru_client._convert import (
    comparison_from_proto,
    event_from_proto,
    lineage_from_proto,
    replay_plan_from_proto,
)
from kitaru_client.gen.kitaru.errors.v1 import errors_pb2
from kitaru_client.gen.kitaru.runner.v1 import (
    execution_pb2 as pb,
    lineage_pb2,
    replay_plan_pb2,
    runner_service_pb2,
    runner_service_pb2_grpc,
)

HELD_AT = datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone.utc)


def stamp(moment: datetime) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromDatetime(moment)
    return t


def replaced_draft() -> errors_pb2.DivergenceDetail:
    """The divergence of a resume by v2, whose code renamed write_draft."""
    return errors_pb2.DivergenceDetail(
        exec_id="kr-held",
        source_exec_id="kr-held",
        invocation_id="write_draft",
        kind=errors_pb2.DIVERGENCE_KIND_CALL_REPLACED,
        recorded="checkpoint 'write_draft'",
        seen="checkpoint 'write_draft_v2'",
        recorded_flow_version="v1",
        flow_version="v2",
        replay_command="kitaru executions replay kr-held --from write_draft",
        replay_from="write_draft",
    )


def held_execution() -> pb.Execution:
    """A held execution in the full view; the answer of its resolved wait left out of the response."""
    hold = pb.VersionHold(required_flow_version="v1", divergence=replaced_draft(), create_time=stamp(HELD_AT))
    answer = struct_pb2.Value()
    answer.string_value = "fits in the response"
    return pb.Execution(
        exec_id="kr-held",
        flow_name="article",
        status=pb.EXECUTION_STATUS_RUNNING,
        flow_version="v1",
        flow_version_runs=[
            pb.FlowVersionRun(flow_version="v1", start_time=stamp(datetime(2026, 3, 1, 12, tzinfo=timezone.utc))),
        ],
        version_hold=hold,
        waits=[
            pb.Wait(wait_id="w1", name="approve", exec_id="kr-held", status=pb.WAIT_STATUS_RESOLVED),
            pb.Wait(wait_id="w2", name="approve_2", exec_id="kr-held", status=pb.WAIT_STATUS_RESOLVED, value=answer),
        ],
        omitted_values=[pb.OmittedValue(path="waits/approve/value", bytes=20)],
    )


def verification(n: int) -> pb.ExecutionVerification:
    return pb.ExecutionVerification(
        exec_id=f"kr-{n}",
        flow_name="article",
        status=pb.EXECUTION_STATUS_WAITING,
        recorded_flow_version="v1",
        verdict=pb.VERIFICATION_VERDICT_COMPATIBLE,
        outcome="would wait at 'approve'",
        matched_calls=2,
        recorded_calls=2,
    )


class VersionedRunner(runner_service_pb2_grpc.RunnerServiceServicer):
    """Serves one held execution, two flows of version v2, and 5 verifiable executions in pages of at most 2."""

    def __init__(self) -> None:
        self.port = 0
        self.verify_requests: List[runner_service_pb2.VerifyExecutionsRequest] = []

    def GetExecution(self, request, context):
        return runner_service_pb2.GetExecutionResponse(execution=held_execution())

    def ReadExecutionValue(self, request, context):
        if request.path != "waits/approve/value":
            context.abort(grpc.StatusCode.NOT_FOUND, request.path)
        text = json.dumps({"approved": True, "reviewer": "ada"}).encode()
        yield runner_service_pb2.ReadExecutionValueResponse(chunk=text, total_bytes=len(text))

    def ListFlows(self, request, context):
        flows = [pb.Flow(flow_name="article"), pb.Flow(flow_name="gated")]
        return runner_service_pb2.ListFlowsResponse(flows=flows, flow_version="v2")

    def VerifyExecutions(self, request, context):
        self.verify_requests.append(request)
        if request.exec_ids:
            diverged = pb.ExecutionVerification(
                exec_id=request.exec_ids[0],
                flow_name="article",
                status=pb.EXECUTION_STATUS_WAITING,
                verdict=pb.VERIFICATION_VERDICT_DIVERGED,
                divergence=replaced_draft(),
                outcome="diverges at 'write_draft'",
                matched_calls=1,
                recorded_calls=2,
            )
            unknown = pb.ExecutionVerification(exec_id="kr-newer", verdict=99)
            return runner_service_pb2.VerifyExecutionsResponse(flow_version="v2", results=[diverged, unknown])
        start = int(request.page_token or "0")
        end = min(start + min(request.page_size, 2), 5)
        return runner_service_pb2.VerifyExecutionsResponse(
            flow_version="v2",
            results=[verification(n) for n in range(start, end)],
            next_page_token=str(end) if end < 5 else "",
        )


@pytest.fixture
def fake() -> Iterator[VersionedRunner]:
    runner = VersionedRunner()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    runner_service_pb2_grpc.add_RunnerServiceServicer_to_server(runner, server)
    runner.port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield runner
    server.stop(None)


@pytest.fixture
def client(fake: VersionedRunner, monkeypatch: pytest.MonkeyPatch) -> Iterator[KitaruClient]:
    for name in ("KITARU_TOKEN", "KITARU_CA_FILE", "KITARU_CLIENT_CERT", "KITARU_CLIENT_KEY"):
        monkeypatch.delenv(name, raising=False)
    url = f"http://127.0.0.1:{fake.port}"
    with KitaruClient(runner_url=url, planner_url=url, timeout=10) as c:
        yield c


def test_a_held_execution_with_its_versions_runs_and_every_wait(client):
    execution = client.executions.get("kr-held")
    assert execution.status is ExecutionStatus.RUNNING
    assert execution.flow_version == "v1"
    assert [(r.flow_version, r.started_at) for r in execution.flow_version_runs] == [
        ("v1", datetime(2026, 3, 1, 12, tzinfo=timezone.utc))
    ]
    hold = execution.version_hold
    assert hold is not None and hold.required_flow_version == "v1" and hold.created_at == HELD_AT
    detail = hold.divergence
    assert detail is not None and detail.kind is DivergenceKind.CALL_REPLACED and detail.kind == "call_replaced"
    assert (detail.recorded_flow_version, detail.flow_version) == ("v1", "v2")
    assert detail.replay_command == "kitaru executions replay kr-held --from write_draft"
    assert detail.replay_from == "write_draft"
    # The answer the response left out (waits/approve/value) is read and put in its wait.
    assert [(w.name, w.status, w.value) for w in execution.waits] == [
        ("approve", WaitStatus.RESOLVED, {"approved": True, "reviewer": "ada"}),
        ("approve_2", WaitStatus.RESOLVED, "fits in the response"),
    ]
    assert execution.omitted_values == []


def test_flows_carry_the_runners_flow_version(client):
    assert [(f.name, f.flow_version) for f in client.flows.list()] == [("article", "v2"), ("gated", "v2")]


def test_verify_by_ids_gives_typed_results(client, fake):
    result = client.executions.verify(["kr-held"])
    assert result.flow_version == "v2"
    diverged, unknown = result.results
    assert diverged.exec_id == "kr-held" and diverged.verdict is VerificationVerdict.DIVERGED
    assert diverged.status is ExecutionStatus.WAITING and diverged.outcome == "diverges at 'write_draft'"
    assert (diverged.matched_calls, diverged.recorded_calls) == (1, 2)
    assert diverged.recorded_flow_version is None
    assert diverged.divergence is not None and diverged.divergence.replay_from == "write_draft"
    # A verdict this client does not know (a newer server) reads as not checked.
    assert unknown.verdict is VerificationVerdict.SKIPPED
    assert list(fake.verify_requests[0].exec_ids) == ["kr-held"] and fake.verify_requests[0].page_size == 0


def test_verify_by_filter_pages_up_to_the_limit(client, fake):
    result = client.executions.verify(flow="article", status="waiting", limit=3)
    assert [r.exec_id for r in result.results] == ["kr-0", "kr-1", "kr-2"]
    assert all(r.verdict is VerificationVerdict.COMPATIBLE and r.recorded_flow_version == "v1" for r in result.results)
    assert [(r.flow_name, r.status, r.page_size, r.page_token) for r in fake.verify_requests] == [
        ("article", pb.EXECUTION_STATUS_WAITING, 3, ""),
        ("article", pb.EXECUTION_STATUS_WAITING, 1, "2"),
    ]

    # The default limit (20) is more than the 5 there are: every page is read, asking for what is still wanted.
    fake.verify_requests.clear()
    everything = client.executions.verify()
    assert [r.exec_id for r in everything.results] == [f"kr-{n}" for n in range(5)]
    assert [(r.page_size, r.page_token) for r in fake.verify_requests] == [(20, ""), (18, "2"), (16, "4")]

    with pytest.raises(KitaruUsageError):
        client.executions.verify(limit=0)
    with pytest.raises(KitaruUsageError):
        client.executions.verify(status="done")
    with pytest.raises(KitaruUsageError):
        client.executions.verify(["kr-1"], flow="article")


def test_the_other_messages_carry_their_versions():
    change = pb.StatusChange(
        status=pb.EXECUTION_STATUS_RUNNING,
        flow_version="v2",
        version_hold=pb.VersionHold(required_flow_version="v1", divergence=replaced_draft()),
    )
    event = event_from_proto(pb.ExecutionEvent(exec_id="kr-held", status_changed=change))
    assert event is not None and event.status_change is not None
    assert event.status_change.flow_version == "v2"
    assert event.status_change.version_hold is not None
    assert event.status_change.version_hold.required_flow_version == "v1"
    assert event.status_change.version_hold.created_at is None
    plain = event_from_proto(
        pb.ExecutionEvent(exec_id="kr-1", status_changed=pb.StatusChange(status=pb.EXECUTION_STATUS_COMPLETED))
    )
    assert plain is not None and plain.status_change is not None
    assert plain.status_change.flow_version is None and plain.status_change.version_hold is None

    plan = replay_plan_from_proto(replay_plan_pb2.ReplayPlan(source_exec_id="kr-1", source_flow_version="v1", flow_version="v2"))
    assert (plan.source_flow_version, plan.flow_version) == ("v1", "v2")

    origin = pb.ReplayOrigin(roots=["write_draft"], source_flow_version="v1")
    setattr(origin, "from", "write_draft")
    lineage = lineage_from_proto(
        lineage_pb2.ExecutionLineage(
            exec_id="kr-2",
            root_exec_id="kr-1",
            nodes=[
                lineage_pb2.LineageNode(exec_id="kr-1", edge=lineage_pb2.LINEAGE_EDGE_KIND_ORIGINAL, flow_version="v1"),
                lineage_pb2.LineageNode(
                    exec_id="kr-2", parent_exec_id="kr-1", edge=lineage_pb2.LINEAGE_EDGE_KIND_REPLAY_OF, replay=origin, flow_version="v2"
                ),
            ],
        )
    )
    assert [n.flow_version for n in lineage.nodes] == ["v1", "v2"]
    assert lineage.nodes[1].replay is not None and lineage.nodes[1].replay.source_flow_version == "v1"

    comparison = comparison_from_proto(
        lineage_pb2.ExecutionComparison(base_exec_id="kr-1", other_exec_id="kr-2", base_flow_version="v1", other_flow_version="v2")
    )
    assert (comparison.base_flow_version, comparison.other_flow_version) == ("v1", "v2")
