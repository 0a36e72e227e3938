"""KitaruClient against the live runner and planner: every method of ``executions`` and ``flows``.

The flows are registered by test/clients/python-client.test.ts:
content_pipeline, approval, chatty, always_flaky, sleeping, fails_once, ordered.
"""

import os
import threading
import uuid
from datetime import datetime
from typing import List

import pytest

from conftest import live, settle
from kitaru_client import (
    CallComparisonKind,
    CheckpointStatus,
    DivergenceKind,
    EventKind,
    Execution,
    ExecutionEvent,
    ExecutionStatus,
    FailureOrigin,
    KitaruClient,
    KitaruDivergenceError,
    KitaruExecutionError,
    KitaruFeatureNotAvailableError,
    KitaruNotFoundError,
    KitaruPendingWaitError,
    KitaruStateError,
    KitaruTimeoutError,
    KitaruUsageError,
    KitaruUserCodeError,
    KitaruWaitValidationError,
    LineageEdge,
    LogEntry,
    LogLevel,
    StatusChange,
    VerificationVerdict,
    WaitStatus,
)

pytestmark = live


def run_to_end(client: KitaruClient, flow: str, **inputs: object) -> Execution:
    execution = client.flows.run(flow, **inputs)
    return settle(client, execution.exec_id)


def test_flows_run_get_and_the_typed_execution(client):
    started = client.flows.run("content_pipeline", topic="typed results")
    assert started.exec_id.startswith("kr-") and started.flow_name == "content_pipeline"
    assert started.input == {"topic": "typed results"}

    done = settle(client, started.exec_id)
    assert done.status is ExecutionStatus.COMPLETED and done.status == "completed"
    assert done.result == "published: draft about typed results from [notes on typed results]"
    assert done.original_exec_id is None and done.failure is None and done.pending_wait is None
    assert done.checkpoint_count == 3
    assert [c.invocation_id for c in done.checkpoints] == ["research", "write_draft", "publish"]
    research, draft, _ = done.checkpoints
    assert research.status is CheckpointStatus.COMPLETED and research.attempt_count == 1
    assert research.output == "notes on typed results" and research.overridden is False
    assert [a.number for a in research.attempts] == [1]
    assert draft.data_dependencies == ["research"] and draft.sequence == 2
    assert isinstance(done.started_at, datetime) and done.started_at.tzinfo is not None
    assert done.ended_at is not None and done.ended_at >= done.started_at
    assert research.started_at is not None and research.ended_at is not None


def test_flows_run_is_idempotent_on_its_request_id(client):
    request_id = f"py-{uuid.uuid4()}"
    first = client.flows.run("content_pipeline", request_id, topic="idempotent")
    second = client.flows.run("content_pipeline", request_id=request_id, topic="idempotent")
    assert first.exec_id == second.exec_id
    # Without an ID, each call sends a fresh one: two executions.
    assert client.flows.run("content_pipeline", topic="a").exec_id != client.flows.run("content_pipeline", topic="a").exec_id


def test_flows_execute_runs_to_the_end_in_one_call(client):
    assert client.flows.execute("content_pipeline", topic="executed") == "published: draft about executed from [notes on executed]"
    request_id = f"py-{uuid.uuid4()}"
    first = client.flows.execute("content_pipeline", request_id, topic="executed once")
    assert client.flows.execute("content_pipeline", request_id=request_id, topic="executed once") == first
    same = [e for e in client.executions.list(flow="content_pipeline", limit=200) if e.input == {"topic": "executed once"}]
    assert len(same) == 1
    with pytest.raises(KitaruPendingWaitError):
        client.flows.execute("approval", topic="executed wait")
    label = f"execute-{uuid.uuid4().hex[:8]}"
    with pytest.raises(KitaruUserCodeError) as raised:
        client.flows.execute("fails_once", label=label)
    assert raised.value.failure_origin is FailureOrigin.USER_CODE
    with pytest.raises(KitaruUsageError):
        client.flows.execute("content_pipeline", topic=42)


def test_inputs_named_like_parameters_go_in_inputs(client):
    with pytest.raises(KitaruUsageError) as raised:
        client.flows.run("content_pipeline", inputs={"topic": "x"}, topic="y")
    assert "given both" in raised.value.message
    started = client.flows.run("content_pipeline", inputs={"topic": "via inputs"})
    assert started.input == {"topic": "via inputs"}


def test_flows_list_gives_names_and_input_schemas(client):
    flows = {f.name: f for f in client.flows.list()}
    assert {"content_pipeline", "approval", "ordered"} <= set(flows)
    schema = flows["content_pipeline"].input_schema
    assert schema is not None and "topic" in schema["properties"]


def test_list_latest_paging_and_filters(client):
    # One after the other, so that their creation times differ (the order of equal times is arbitrary).
    ids = [run_to_end(client, "chatty", label=f"list-{i}").exec_id for i in range(3)]
    newest = client.executions.list(flow="chatty", limit=2)
    assert [e.exec_id for e in newest] == ids[::-1][:2]
    assert all(e.checkpoints == [] and e.checkpoint_count == 2 for e in newest)
    page2 = client.executions.list(flow="chatty", page=2, size=1)
    assert [e.exec_id for e in page2] == [ids[1]]
    assert client.executions.list(flow="chatty", size=1) == client.executions.list(flow="chatty", limit=1)
    everything = client.executions.list(flow="chatty", status="completed")
    assert set(ids) <= {e.exec_id for e in everything}
    assert all(e.status is ExecutionStatus.COMPLETED for e in everything)

    latest = client.executions.latest(flow="chatty", status=ExecutionStatus.COMPLETED)
    assert latest.exec_id == ids[-1] and len(latest.checkpoints) == 2


def test_list_and_latest_refuse_bad_filters_like_kitaru(client):
    with pytest.raises(KitaruUsageError, match="Unsupported status filter 'done'"):
        client.executions.list(status="done")
    with pytest.raises(KitaruUsageError, match="`limit` must be >= 1"):
        client.executions.list(limit=0)
    with pytest.raises(KitaruUsageError, match="`page` requires `size`"):
        client.executions.list(page=2)
    with pytest.raises(KitaruUsageError):
        client.executions.list(limit=1, size=2)
    with pytest.raises(LookupError) as raised:  # Kitaru raises LookupError here
        client.executions.latest(flow="no_such_flow_anywhere")
    assert isinstance(raised.value, KitaruNotFoundError)
    assert raised.value.message == "No executions found for flow='no_such_flow_anywhere'."


def test_replay_with_overrides_and_new_inputs_end_to_end(client):
    source = run_to_end(client, "content_pipeline", topic="agents")
    plan = client.executions.plan(
        source.exec_id, from_="write_draft", overrides={"checkpoint.research": "edited notes"}, topic="new topic"
    )
    assert plan.source_exec_id == source.exec_id and plan.flow_name == "content_pipeline"
    assert plan.from_ == "write_draft" and plan.from_call is not None
    assert plan.from_call.invocation_id == "write_draft"
    assert [c.invocation_id for c in plan.reuse] == ["research"]
    assert [c.invocation_id for c in plan.reexecute] == ["write_draft", "publish"]
    assert [c.invocation_id for c in plan.roots] == ["write_draft"]
    (override,) = plan.overrides
    assert override.key == "checkpoint.research" and override.value == "edited notes"
    assert override.target is not None and override.target.invocation_id == "research"
    assert override.consumers == ["write_draft"]
    assert plan.input == {"topic": "new topic"}
    # A dry run creates nothing.
    assert client.executions.latest(flow="content_pipeline").exec_id == source.exec_id

    request_id = str(uuid.uuid4())

    def replay() -> Execution:
        return client.executions.replay(
            source.exec_id,
            from_="write_draft",
            overrides={"checkpoint.research": "edited notes"},
            request_id=request_id,
            topic="new topic",
        )

    replayed = replay()
    assert replayed.original_exec_id == source.exec_id and replayed.exec_id != source.exec_id
    assert replayed.replay is not None and replayed.replay.from_ == "write_draft"
    assert replayed.replay.override_keys == ["checkpoint.research"]
    # The same request ID is the same replay.
    assert replay().exec_id == replayed.exec_id

    assert client.executions.result(replayed.exec_id, timeout=20) == "published: draft about new topic from [edited notes]"
    done = client.executions.get(replayed.exec_id)
    research = done.checkpoints[0]
    assert research.status is CheckpointStatus.REUSED and research.attempt_count == 0
    assert research.original_call_id == source.checkpoints[0].call_id == research.reused_from_call_id
    assert research.overridden is True and research.override_value == "edited notes"
    assert research.output == "notes on agents"
    # The source never changes.
    assert client.executions.get(source.exec_id).result == source.result


def test_replay_and_plan_errors_are_typed(client):
    source = run_to_end(client, "content_pipeline", topic="errors")
    with pytest.raises(KitaruStateError) as raised:
        client.executions.plan(source.exec_id, from_="no_such_checkpoint")
    assert raised.value.selector is not None
    assert list(raised.value.selector.available_names) == ["publish", "research", "write_draft"]
    with pytest.raises(KitaruUsageError):
        client.executions.replay(source.exec_id, from_="research", overrides={"wait.approve": True})
    with pytest.raises(KitaruNotFoundError):
        client.executions.replay("kr-aaaaaaaaaaaaaaaa", from_="research")
    # An override of another type than the recorded output (a string) is refused, unless allowed.
    with pytest.raises(KitaruUsageError) as misfit:
        client.executions.plan(source.exec_id, from_="publish", overrides={"checkpoint.write_draft": 42})
    assert misfit.value.metadata["expected"] == "string" and misfit.value.metadata["given"] == "number"
    plan = client.executions.plan(
        source.exec_id, from_="publish", overrides={"checkpoint.write_draft": 42}, allow_override_type_change=True
    )
    assert plan.overrides[0].value == 42
    # An input field the flow does not know is refused, not dropped.
    with pytest.raises(KitaruUsageError) as unknown:
        client.executions.replay(source.exec_id, from_="research", topc="typo")
    assert "topc: unknown field (known fields: topic)" in str(unknown.value)


def test_waits_pending_input_validation_and_abort(client):
    execution = client.flows.run("approval", topic="waits")
    waiting = settle(client, execution.exec_id)
    assert waiting.status is ExecutionStatus.WAITING
    (wait,) = client.executions.pending_waits(execution.exec_id)
    assert wait.name == "approve" and wait.status is WaitStatus.PENDING and wait.exec_id == execution.exec_id
    assert wait.question == "Publish the draft about waits?" and wait.metadata == {"topic": "waits"}
    assert wait.schema is not None and wait.schema["type"] == "object"
    assert wait.entered_waiting_at is not None
    assert waiting.pending_wait == wait

    # Waiting on it says how to answer.
    with pytest.raises(KitaruPendingWaitError) as pending:
        client.executions.result(execution.exec_id, timeout=20)
    assert pending.value.pending_waits == [wait] and "approve" in pending.value.message

    with pytest.raises(KitaruWaitValidationError) as invalid:
        client.executions.input(execution.exec_id, wait="approve", value={"approved": "yes"})
    assert isinstance(invalid.value, KitaruUsageError) and isinstance(invalid.value, ValueError)
    assert invalid.value.wait_name == "approve" and invalid.value.wait_id == wait.wait_id
    assert "approved" in [v.field for v in invalid.value.violations]
    assert client.executions.get(execution.exec_id).status is ExecutionStatus.WAITING

    with pytest.raises(KitaruStateError) as unknown:
        client.executions.input(execution.exec_id, wait="nope", value=True)
    assert unknown.value.wait_selection is not None
    assert list(unknown.value.wait_selection.available_wait_names) == ["approve"]

    answered = client.executions.input(execution.exec_id, wait=wait.wait_id, value={"approved": True, "reviewer": "ada"})
    assert answered.exec_id == execution.exec_id
    assert client.executions.result(execution.exec_id, timeout=20) == "published 'draft about waits', approved by ada"

    other = client.flows.run("approval", topic="abort")
    settle(client, other.exec_id)
    aborted = client.executions.abort_wait(other.exec_id, wait="approve")
    assert aborted.exec_id == other.exec_id
    assert settle(client, other.exec_id).status is ExecutionStatus.CANCELLED
    with pytest.raises(KitaruExecutionError) as cancelled:
        client.executions.result(other.exec_id)
    assert cancelled.value.status is ExecutionStatus.CANCELLED


def test_a_replay_answers_opted_in_waits_from_its_source(client):
    source = client.flows.run("approval", topic="copied")
    settle(client, source.exec_id)
    client.executions.input(source.exec_id, wait="approve", value={"approved": True, "reviewer": "ada"})
    assert client.executions.result(source.exec_id, timeout=20) == "published 'draft about copied', approved by ada"

    plan = client.executions.plan(source.exec_id, from_="draft", answer_waits_from_source=["approve"])
    assert plan.answer_waits_from_source == ["approve"]
    replayed = client.executions.replay(source.exec_id, from_="draft", answer_waits_from_source=["approve"])
    assert client.executions.result(replayed.exec_id, timeout=20) == "published 'draft about copied', approved by ada"
    done = client.executions.get(replayed.exec_id)
    assert done.replay is not None and done.replay.answer_waits_from_source == ["approve"]
    (approve,) = done.waits
    assert approve.answered_by == f"copied from execution {source.exec_id}"
    assert approve.answer_source_exec_id == source.exec_id and approve.source_answer_note is None

    # Without the opt-in the replay stops at the wait, as before.
    asked = client.executions.replay(source.exec_id, from_="draft")
    assert settle(client, asked.exec_id).status is ExecutionStatus.WAITING
    with pytest.raises(KitaruUsageError):
        client.executions.plan(source.exec_id, from_="draft", answer_waits_from_source=[" "])


def test_watch_yields_typed_events_and_follows_waits(client):
    done = run_to_end(client, "content_pipeline", topic="watch")
    events = list(client.executions.watch(done.exec_id))
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.CALL_COMPLETED) == 3 and kinds[-1] is EventKind.STATUS_CHANGED
    completed = [e.call.invocation_id for e in events if e.kind is EventKind.CALL_COMPLETED and e.call]
    assert completed == ["research", "write_draft", "publish"]
    last = events[-1].status_change
    assert last is not None and last.status is ExecutionStatus.COMPLETED and last.result == done.result
    assert all(e.exec_id == done.exec_id and e.time is not None for e in events)

    execution = client.flows.run("approval", topic="follow")
    settle(client, execution.exec_id)
    seen: List[ExecutionEvent] = []
    follower = threading.Thread(target=lambda: seen.extend(client.executions.watch(execution.exec_id, follow_waits=True)))
    follower.start()
    client.executions.input(execution.exec_id, wait="approve", value={"approved": False, "reviewer": "bo"})
    follower.join(20)
    assert not follower.is_alive()
    kinds = [e.kind for e in seen]
    assert EventKind.WAIT_PENDING in kinds and EventKind.WAIT_RESOLVED in kinds
    resolved = next(e.wait for e in seen if e.kind is EventKind.WAIT_RESOLVED)
    assert resolved is not None and resolved.status is WaitStatus.RESOLVED
    assert resolved.value == {"approved": False, "reviewer": "bo"}
    assert seen[-1].status_change is not None and seen[-1].status_change.result == "rejected by bo"

    # Without follow_waits the stream ends at the wait; leaving it early cancels it.
    waiting = client.flows.run("approval", topic="stop early")
    settle(client, waiting.exec_id)
    history = list(client.executions.watch(waiting.exec_id))
    assert EventKind.WAIT_PENDING in [e.kind for e in history]
    assert history[-1].status_change is not None and history[-1].status_change.status is ExecutionStatus.WAITING
    for _ in client.executions.watch(waiting.exec_id):
        break


def test_get_reads_the_values_a_response_left_out(client):
    # Three 4 MiB outputs are past the 2 MiB of values (as encoded) one response carries.
    done = run_to_end(client, "big_outputs", mib=4, parts=3)
    assert done.status is ExecutionStatus.COMPLETED and done.result == 3 * 4 * 1024 * 1024
    assert done.omitted_values == []
    outputs = [c.output for c in done.checkpoints]
    assert [(o[:2], len(o)) for o in outputs] == [(f"{i}:", 4 * 1024 * 1024) for i in range(3)]

    raw = client.runner.get_execution(done.exec_id, full=True)
    # None fits (each is 4 MiB + 2 bytes of JSON quotes).
    omitted = [(v.path, v.bytes) for v in raw.omitted_values]
    assert omitted == [(f"checkpoints/big_part{suffix}/output", 4 * 1024 * 1024 + 2) for suffix in ("", "_2", "_3")]
    assert not raw.checkpoints[2].HasField("output")
    value = client.executions.read_value(done.exec_id, "checkpoints/big_part_3/output")
    assert isinstance(value, str) and value.startswith("2:") and len(value) == 4 * 1024 * 1024
    with pytest.raises(KitaruNotFoundError):
        client.executions.read_value(done.exec_id, "checkpoints/nope/output")
    with pytest.raises(KitaruUsageError):
        client.executions.read_value(done.exec_id, "outputs")


def test_get_reads_every_call_of_an_execution_one_response_cannot_hold(client):
    # Twelve calls with ~330 KB of metadata each (as encoded): more than one response's 3.5 MiB.
    done = run_to_end(client, "heavy_metadata", calls=12, numbers=30000)
    assert [c.output for c in done.checkpoints] == list(range(12))
    first = client.runner.get_execution(done.exec_id, full=True)
    assert 0 < len(first.checkpoints) < 12 and first.checkpoints_next_page_token


def test_logs_and_follow_logs(client):
    done = run_to_end(client, "chatty", label="py-logs")
    assert done.metadata == {"run": "py-logs", "stage": "end"}
    talk = next(c for c in done.checkpoints if c.invocation_id == "talk")
    assert talk.metadata == {"items": 3, "label": "py-logs"}

    entries = client.executions.logs(done.exec_id, checkpoint="talk")
    assert [(e.level, e.message) for e in entries] == [
        (LogLevel.INFO, "starting py-logs with 3 items"),
        (LogLevel.INFO, "from the logger { label: 'py-logs' }"),
        (LogLevel.WARN, "careful"),
        (LogLevel.ERROR, "something odd"),
    ]
    first = entries[0]
    assert first.invocation_id == "talk" and first.checkpoint_name == "talk" and first.attempt == 1
    assert first.source == "console" and first.timestamp is not None and first.exec_id == done.exec_id
    assert [e.message for e in client.executions.logs(done.exec_id, limit=2)] == [e.message for e in entries[:2]]
    with pytest.raises(KitaruUsageError):
        client.executions.logs(done.exec_id, limit=0)
    with pytest.raises(KitaruFeatureNotAvailableError):
        client.executions.logs(done.exec_id, source="runner")

    followed = list(client.executions.follow_logs(done.exec_id, checkpoint="talk"))
    lines = [item for item in followed if isinstance(item, LogEntry)]
    assert [e.message for e in lines] == [e.message for e in entries]
    end = followed[-1]
    assert isinstance(end, StatusChange) and end.status is ExecutionStatus.COMPLETED
    assert end.metadata == {"run": "py-logs", "stage": "end"}


def test_retry_a_failed_execution(client):
    label = f"retry-{uuid.uuid4().hex[:8]}"
    failed = run_to_end(client, "fails_once", label=label)
    assert failed.status is ExecutionStatus.FAILED
    assert failed.failure is not None and failed.failure.origin is FailureOrigin.USER_CODE
    assert failed.failure.message == f"first run of {label} fails" and failed.failure.invocation_id == "shaky"
    assert failed.failure.traceback is not None and failed.failure.exception_type == "Error"
    with pytest.raises(KitaruUserCodeError) as raised:
        client.executions.result(failed.exec_id)
    assert raised.value.failure_origin is FailureOrigin.USER_CODE and raised.value.exec_id == failed.exec_id

    retried = client.executions.retry(failed.exec_id)
    assert retried.exec_id == failed.exec_id
    assert client.executions.result(failed.exec_id, timeout=20) == f"settled: {label} steady"
    assert client.executions.get(failed.exec_id).retry_count == 1
    with pytest.raises(KitaruStateError) as not_failed:
        client.executions.retry(failed.exec_id)
    assert not_failed.value.state is not None and not_failed.value.state.operation == "retry"


def test_cancel_a_running_execution_and_time_out_waiting_for_one(client):
    execution = client.flows.run("sleeping", label=f"cancel-{uuid.uuid4().hex[:8]}")
    with pytest.raises(KitaruTimeoutError) as timed_out:
        client.executions.result(execution.exec_id, timeout=0.5)
    assert isinstance(timed_out.value, TimeoutError) and timed_out.value.exec_id == execution.exec_id
    cancelled = client.executions.cancel(execution.exec_id)
    assert cancelled.exec_id == execution.exec_id
    assert settle(client, execution.exec_id).status is ExecutionStatus.CANCELLED
    with pytest.raises(KitaruExecutionError) as raised:
        client.executions.result(execution.exec_id)
    assert type(raised.value) is KitaruExecutionError and raised.value.status == "cancelled"


def test_a_diverging_replay_raises_the_divergence_error(client):
    source = run_to_end(client, "ordered", order="first-second")
    assert source.result == "one+two"
    replayed = client.executions.replay(source.exec_id, from_="combine", order="second-first")
    with pytest.raises(KitaruDivergenceError) as raised:
        client.executions.result(replayed.exec_id, timeout=20)
    e = raised.value
    assert isinstance(e, KitaruExecutionError) and e.exec_id == replayed.exec_id
    assert e.detail is not None and e.detail.kind is DivergenceKind.ORDER_CHANGED
    assert e.detail.source_exec_id == source.exec_id
    assert e.failure is not None and e.failure.origin is FailureOrigin.DIVERGENCE
    failed = client.executions.get(replayed.exec_id)
    assert failed.failure is not None and failed.failure.divergence == e.detail


def test_unknown_ids_and_bad_inputs_are_typed_errors(client):
    with pytest.raises(KitaruNotFoundError) as raised:
        client.executions.get("kr-aaaaaaaaaaaaaaaa")
    assert raised.value.resource_type == "execution" and raised.value.metadata["execId"] == "kr-aaaaaaaaaaaaaaaa"
    with pytest.raises(KitaruNotFoundError) as flow:
        client.flows.run("no_such_flow")
    assert flow.value.resource_name == "no_such_flow"
    with pytest.raises(KitaruUsageError) as usage:
        client.flows.run("content_pipeline", topic="")
    assert [v.field for v in usage.value.violations] == ["topic"]
    with pytest.raises(KitaruUsageError, match="not a JSON value"):
        client.flows.run("content_pipeline", topic=object())


def test_lineage_and_compare_of_a_replay_family(client):
    source = run_to_end(client, "content_pipeline", topic="family")
    replayed = client.executions.replay(source.exec_id, from_="write_draft", overrides={"checkpoint.research": "edited"})
    settle(client, replayed.exec_id)
    lineage = client.executions.lineage(replayed.exec_id)
    assert lineage.root_exec_id == source.exec_id and lineage.exec_id == replayed.exec_id
    assert [(n.exec_id, n.edge, n.parent_exec_id) for n in lineage.nodes] == [
        (source.exec_id, LineageEdge.ORIGINAL, None),
        (replayed.exec_id, LineageEdge.REPLAY_OF, source.exec_id),
    ]
    assert lineage.nodes[1].replay is not None and lineage.nodes[1].replay.from_ == "write_draft"
    comparison = client.executions.compare(source.exec_id, replayed.exec_id)
    assert [(c.invocation_id, c.kind) for c in comparison.calls] == [
        ("research", CallComparisonKind.OVERRIDDEN),
        ("write_draft", CallComparisonKind.CHANGED_OUTPUT),
        ("publish", CallComparisonKind.CHANGED_OUTPUT),
    ]
    (change,) = comparison.calls[0].changes
    assert (change.path, change.kind, change.before, change.after) == ("", "changed", "notes on family", "edited")
    assert comparison.counts["overridden"] == 1 and comparison.counts["changed_output"] == 2
    assert comparison.input_changes == []
    with pytest.raises(KitaruNotFoundError):
        client.executions.lineage("kr-aaaaaaaaaaaaaaaa")


def served_flow_version(client: KitaruClient) -> str:
    """The flow version the runner serves, as ListFlows says (and as the test's runner was started with)."""
    versions = {f.flow_version for f in client.flows.list()}
    assert len(versions) == 1, versions
    (version,) = versions
    assert version != "" and version == os.environ.get("KITARU_TEST_FLOW_VERSION", version)
    return version


def test_flow_versions_every_wait_and_verify_from_the_runner(client):
    version = served_flow_version(client)
    execution = client.flows.run("approval", topic="versions")
    assert execution.flow_version == version
    waiting = settle(client, execution.exec_id)
    assert waiting.status is ExecutionStatus.WAITING and waiting.version_hold is None
    assert waiting.flow_version == version
    (run,) = waiting.flow_version_runs
    assert run.flow_version == version and run.started_at is not None and waiting.started_at is not None
    assert run.started_at >= waiting.started_at
    assert [(w.name, w.status, w.value) for w in waiting.waits] == [("approve", WaitStatus.PENDING, None)]

    # The runner's own code would continue it: it waits at the same place again, having issued the recorded call.
    check = client.executions.verify([execution.exec_id])
    assert check.flow_version == version
    (pending,) = check.results
    assert pending.exec_id == execution.exec_id and pending.verdict is VerificationVerdict.COMPATIBLE
    assert pending.status is ExecutionStatus.WAITING and pending.outcome == "would wait at 'approve'"
    assert (pending.matched_calls, pending.recorded_calls) == (1, 1)
    assert pending.recorded_flow_version == version and pending.divergence is None

    answer = {"approved": True, "reviewer": "vera"}
    client.executions.input(execution.exec_id, wait="approve", value=answer)
    assert client.executions.result(execution.exec_id, timeout=20) == "published 'draft about versions', approved by vera"
    done = client.executions.get(execution.exec_id)
    # Every wait of the full view, with its answer; the same version resumed it: still one run.
    (approve,) = done.waits
    assert (approve.name, approve.status, approve.value) == ("approve", WaitStatus.RESOLVED, answer)
    assert approve.resolved_at is not None and done.pending_waits == []
    assert [r.flow_version for r in done.flow_version_runs] == [version]

    (completed,) = client.executions.verify([execution.exec_id]).results
    assert completed.verdict is VerificationVerdict.COMPATIBLE and completed.outcome == "would complete"
    assert (completed.matched_calls, completed.recorded_calls) == (2, 2)
    by_filter = client.executions.verify(flow="approval", status="completed", limit=2)
    assert by_filter.flow_version == version and 1 <= len(by_filter.results) <= 2
    assert all(r.flow_name == "approval" and r.status is ExecutionStatus.COMPLETED for r in by_filter.results)
    assert all(r.verdict is VerificationVerdict.COMPATIBLE for r in by_filter.results)

    # Status changes say which version ran the body.
    changes = [e.status_change for e in client.executions.watch(execution.exec_id) if e.status_change is not None]
    assert changes and all(c.flow_version == version and c.version_hold is None for c in changes)


def test_replay_plans_lineage_and_diffs_carry_flow_versions(client):
    version = served_flow_version(client)
    source = run_to_end(client, "content_pipeline", topic="versioned family")
    plan = client.executions.plan(source.exec_id, from_="publish")
    assert (plan.source_flow_version, plan.flow_version) == (version, version)
    replayed = client.executions.replay(source.exec_id, from_="publish")
    assert replayed.flow_version == version
    assert replayed.replay is not None and replayed.replay.source_flow_version == version
    settle(client, replayed.exec_id)
    lineage = client.executions.lineage(replayed.exec_id)
    assert [n.flow_version for n in lineage.nodes] == [version, version]
    comparison = client.executions.compare(source.exec_id, replayed.exec_id)
    assert (comparison.base_flow_version, comparison.other_flow_version) == (version, version)
