"""``client.replay_jobs`` against the live planner and runner: start, plan, get, list, items, cancel, watch.

The flows are registered by test/clients/python-client.test.ts. Each test
selects its sources by ID, so executions made by other tests never join its jobs.
"""

import time
import uuid
from typing import List

import pytest

from conftest import live, settle
from kitaru_client import (
    ExecutionStatus,
    KitaruClient,
    KitaruNotFoundError,
    KitaruStateError,
    KitaruUsageError,
    ReplayJob,
    ReplayJobItemState,
    ReplayJobProgress,
    ReplayJobState,
)

pytestmark = live

EDITED = {"checkpoint.research": "Edited notes"}


def completed_pipelines(client: KitaruClient, count: int) -> List[str]:
    tag = uuid.uuid4().hex[:8]
    ids = [client.flows.run("content_pipeline", topic=f"job {tag} {i}").exec_id for i in range(count)]
    for exec_id in ids:
        assert settle(client, exec_id).status is ExecutionStatus.COMPLETED
    return ids


def ended(client: KitaruClient, job_id: str, timeout: float = 30.0) -> ReplayJob:
    deadline = time.monotonic() + timeout
    while True:
        job = client.replay_jobs.get(job_id)
        if job.ended or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_a_job_replays_each_source_reports_refused_ones_and_compares_results(client):
    good = completed_pipelines(client, 3)
    other_flow = settle(client, client.flows.run("chatty", label="no write_draft here").exec_id).exec_id
    missing = "kr-doesnotexist0000"
    ids = [good[0], missing, good[1], other_flow, good[2]]
    request_id = f"py-job-{uuid.uuid4()}"

    job = client.replay_jobs.start(exec_ids=ids, from_="write_draft", overrides=EDITED, concurrency=2, request_id=request_id)
    assert job.job_id.startswith("rj-") and job.request_id == request_id
    assert job.source_exec_ids == ids
    assert job.spec.from_ == "write_draft" and job.spec.overrides == EDITED and job.spec.concurrency == 2
    assert job.spec.selection.exec_ids == ids and job.spec.selection.flow is None

    reports: List[ReplayJobProgress] = list(client.replay_jobs.watch(job.job_id, timeout=60))
    assert reports, "watch reported nothing"
    assert [item.index for item in reports[0].items] == [0, 1, 2, 3, 4], "the first report holds every source"
    last = reports[-1].job
    assert last.ended and last.state is ReplayJobState.SUCCEEDED
    assert last.totals.summary == "3 completed, 2 refused, 3 results changed"
    assert (last.totals.sources, last.totals.completed, last.totals.refused) == (5, 3, 2)

    items = client.replay_jobs.items(job.job_id)
    assert [item.source_exec_id for item in items] == ids
    settled = [items[0], items[2], items[4]]
    for item in settled:
        assert item.state is ReplayJobItemState.SETTLED and item.error is None
        assert item.replay_exec_id and item.replay_status is ExecutionStatus.COMPLETED
        assert item.result_changed is True
        assert (item.reused_calls, item.reexecuted_calls, item.changed_calls, item.new_calls) == (0, 0, 3, 0)
        change = item.result_changes[0]
        assert change.path == "" and change.before.startswith("published: draft about job ")
        assert change.after.endswith("from [Edited notes]")
        replay = client.executions.get(item.replay_exec_id)
        assert replay.original_exec_id == item.source_exec_id and replay.result == change.after

    assert items[1].state is ReplayJobItemState.REFUSED and items[1].replay_exec_id is None
    assert isinstance(items[1].error, KitaruNotFoundError)
    wrong = items[3].error
    assert items[3].state is ReplayJobItemState.REFUSED
    assert isinstance(wrong, KitaruStateError) and not isinstance(wrong, KitaruNotFoundError), wrong
    assert client.executions.lineage(other_flow).nodes[-1].exec_id == other_flow, "nothing half-started"

    # Paging and the changed-only filter.
    assert [i.index for i in client.replay_jobs.items(job.job_id, changed_only=True)] == [0, 2, 4]
    assert [i.index for i in client.replay_jobs.items(job.job_id, limit=2)] == [0, 1]

    # The same request ID: the same job, no replay more.
    again = client.replay_jobs.start(exec_ids=ids, from_="write_draft", overrides=EDITED, concurrency=2, request_id=request_id)
    assert again.job_id == job.job_id
    assert len(client.executions.lineage(good[0]).nodes) == 2, "one replay of the source, not two"

    got = client.replay_jobs.get(job.job_id)
    assert got.totals == last.totals and got.created_at is not None and got.ended_at is not None
    assert job.job_id in [j.job_id for j in client.replay_jobs.list(limit=50)]
    assert len(client.replay_jobs.list(limit=1)) == 1


def test_plan_shows_every_source_and_creates_nothing(client):
    sources = completed_pipelines(client, 2)
    jobs_before = len(client.replay_jobs.list())
    plans = client.replay_jobs.plan(exec_ids=sources, from_="publish", topic="planned topic")
    assert plans.job.job_id == "" and plans.job.spec.plan_only is True
    assert plans.job.totals.planned == 2
    assert [i.state for i in plans.items] == [ReplayJobItemState.PLANNED, ReplayJobItemState.PLANNED]
    for item, source in zip(plans.items, sources):
        assert item.plan is not None and item.plan.source_exec_id == source
        assert [c.invocation_id for c in item.plan.reexecute] == ["publish"]
        assert [c.invocation_id for c in item.plan.reuse] == ["research", "write_draft"]
        assert item.plan.input["topic"] == "planned topic"
    assert len(client.replay_jobs.list()) == jobs_before, "no job stored"
    for source in sources:
        assert len(client.executions.lineage(source).nodes) == 1, "no replay created"


def test_cancel_stops_starting_replays_and_the_started_one_runs_on(client):
    tag = uuid.uuid4().hex[:8]
    sources = []
    for i in range(4):
        execution = client.flows.run("sleeping", label=f"job-cancel-{tag}-{i}")
        client.executions.cancel(execution.exec_id)
        assert settle(client, execution.exec_id).status is ExecutionStatus.CANCELLED
        sources.append(execution.exec_id)

    job = client.replay_jobs.start(exec_ids=sources, from_="sleeper", concurrency=1)
    deadline = time.monotonic() + 20
    while client.replay_jobs.get(job.job_id).totals.running < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    cancelled = client.replay_jobs.cancel(job.job_id)
    assert cancelled.cancelled_at is not None and not cancelled.ended

    # The replay started before the cancel sleeps on: the job has not ended.
    started = [i for i in client.replay_jobs.items(job.job_id) if i.replay_exec_id]
    assert len(started) == 1 and started[0].source_exec_id == sources[0]
    client.executions.cancel(started[0].replay_exec_id)

    done = ended(client, job.job_id)
    assert done.state is ReplayJobState.CANCELLED and done.ended
    assert done.totals.summary == "1 cancelled, 3 skipped, 0 results changed"
    states = [i.state for i in client.replay_jobs.items(job.job_id)]
    assert states == [ReplayJobItemState.SETTLED] + [ReplayJobItemState.SKIPPED] * 3
    assert client.replay_jobs.cancel(job.job_id).totals == done.totals, "cancelling an ended job changes nothing"


def test_replay_job_errors_are_typed(client):
    with pytest.raises(KitaruNotFoundError):
        client.replay_jobs.get("rj-doesnotexist")
    with pytest.raises(KitaruUsageError):
        client.replay_jobs.start(flow="content_pipeline", from_="")
    with pytest.raises(KitaruUsageError):
        client.replay_jobs.start(from_="publish")  # neither a flow nor IDs
    with pytest.raises(KitaruUsageError) as bad_status:
        client.replay_jobs.start(flow="content_pipeline", statuses=["finished"], from_="publish")
    assert bad_status.value.metadata == {"status": "finished"}
    other = completed_pipelines(client, 1)
    request_id = f"py-job-{uuid.uuid4()}"
    client.replay_jobs.start(exec_ids=other, from_="publish", request_id=request_id)
    with pytest.raises(KitaruUsageError):
        client.replay_jobs.start(exec_ids=other, from_="write_draft", request_id=request_id)
