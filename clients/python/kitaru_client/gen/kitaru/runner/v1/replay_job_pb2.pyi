import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2 as _execution_pb2
from kitaru_client.gen.kitaru.runner.v1 import lineage_pb2 as _lineage_pb2
from kitaru_client.gen.kitaru.runner.v1 import replay_plan_pb2 as _replay_plan_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReplayJobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLAY_JOB_STATE_UNSPECIFIED: _ClassVar[ReplayJobState]
    REPLAY_JOB_STATE_RUNNING: _ClassVar[ReplayJobState]
    REPLAY_JOB_STATE_SUCCEEDED: _ClassVar[ReplayJobState]
    REPLAY_JOB_STATE_CANCELLED: _ClassVar[ReplayJobState]

class ReplayJobItemState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLAY_JOB_ITEM_STATE_UNSPECIFIED: _ClassVar[ReplayJobItemState]
    REPLAY_JOB_ITEM_STATE_PENDING: _ClassVar[ReplayJobItemState]
    REPLAY_JOB_ITEM_STATE_STARTED: _ClassVar[ReplayJobItemState]
    REPLAY_JOB_ITEM_STATE_SETTLED: _ClassVar[ReplayJobItemState]
    REPLAY_JOB_ITEM_STATE_REFUSED: _ClassVar[ReplayJobItemState]
    REPLAY_JOB_ITEM_STATE_SKIPPED: _ClassVar[ReplayJobItemState]
    REPLAY_JOB_ITEM_STATE_PLANNED: _ClassVar[ReplayJobItemState]
REPLAY_JOB_STATE_UNSPECIFIED: ReplayJobState
REPLAY_JOB_STATE_RUNNING: ReplayJobState
REPLAY_JOB_STATE_SUCCEEDED: ReplayJobState
REPLAY_JOB_STATE_CANCELLED: ReplayJobState
REPLAY_JOB_ITEM_STATE_UNSPECIFIED: ReplayJobItemState
REPLAY_JOB_ITEM_STATE_PENDING: ReplayJobItemState
REPLAY_JOB_ITEM_STATE_STARTED: ReplayJobItemState
REPLAY_JOB_ITEM_STATE_SETTLED: ReplayJobItemState
REPLAY_JOB_ITEM_STATE_REFUSED: ReplayJobItemState
REPLAY_JOB_ITEM_STATE_SKIPPED: ReplayJobItemState
REPLAY_JOB_ITEM_STATE_PLANNED: ReplayJobItemState

class ReplayJobSelection(_message.Message):
    __slots__ = ("flow_name", "statuses", "since", "until", "labels", "exec_ids", "limit")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    EXEC_IDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    flow_name: str
    statuses: _containers.RepeatedScalarFieldContainer[_execution_pb2.ExecutionStatus]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    labels: _containers.ScalarMap[str, str]
    exec_ids: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    def __init__(self, flow_name: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_execution_pb2.ExecutionStatus, str]]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., labels: _Optional[_Mapping[str, str]] = ..., exec_ids: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ...) -> None: ...

class ReplayJobSpec(_message.Message):
    __slots__ = ("selection", "args", "overrides", "allow_override_type_change", "answer_waits_from_source", "plan_only", "concurrency")
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    ALLOW_OVERRIDE_TYPE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    ANSWER_WAITS_FROM_SOURCE_FIELD_NUMBER: _ClassVar[int]
    PLAN_ONLY_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    selection: ReplayJobSelection
    args: _struct_pb2.Struct
    overrides: _struct_pb2.Struct
    allow_override_type_change: bool
    answer_waits_from_source: _containers.RepeatedScalarFieldContainer[str]
    plan_only: bool
    concurrency: int
    def __init__(self, selection: _Optional[_Union[ReplayJobSelection, _Mapping]] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., overrides: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., allow_override_type_change: bool = ..., answer_waits_from_source: _Optional[_Iterable[str]] = ..., plan_only: bool = ..., concurrency: _Optional[int] = ..., **kwargs) -> None: ...

class ReplayJobTotals(_message.Message):
    __slots__ = ("sources", "pending", "running", "completed", "failed", "cancelled", "waiting", "refused", "skipped", "planned", "results_changed")
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    PLANNED_FIELD_NUMBER: _ClassVar[int]
    RESULTS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    sources: int
    pending: int
    running: int
    completed: int
    failed: int
    cancelled: int
    waiting: int
    refused: int
    skipped: int
    planned: int
    results_changed: int
    def __init__(self, sources: _Optional[int] = ..., pending: _Optional[int] = ..., running: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., cancelled: _Optional[int] = ..., waiting: _Optional[int] = ..., refused: _Optional[int] = ..., skipped: _Optional[int] = ..., planned: _Optional[int] = ..., results_changed: _Optional[int] = ...) -> None: ...

class ReplayJob(_message.Message):
    __slots__ = ("name", "job_id", "request_id", "state", "spec", "source_exec_ids", "totals", "create_time", "cancel_time", "end_time", "namespace")
    NAME_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EXEC_IDS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    name: str
    job_id: str
    request_id: str
    state: ReplayJobState
    spec: ReplayJobSpec
    source_exec_ids: _containers.RepeatedScalarFieldContainer[str]
    totals: ReplayJobTotals
    create_time: _timestamp_pb2.Timestamp
    cancel_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    namespace: str
    def __init__(self, name: _Optional[str] = ..., job_id: _Optional[str] = ..., request_id: _Optional[str] = ..., state: _Optional[_Union[ReplayJobState, str]] = ..., spec: _Optional[_Union[ReplayJobSpec, _Mapping]] = ..., source_exec_ids: _Optional[_Iterable[str]] = ..., totals: _Optional[_Union[ReplayJobTotals, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., namespace: _Optional[str] = ...) -> None: ...

class ReplayJobItem(_message.Message):
    __slots__ = ("index", "source_exec_id", "state", "replay_exec_id", "replay_status", "error", "result_changed", "result_changes", "reused_calls", "reexecuted_calls", "changed_calls", "new_calls", "plan", "update_time", "replay_failure")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REPLAY_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    REPLAY_STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESULT_CHANGED_FIELD_NUMBER: _ClassVar[int]
    RESULT_CHANGES_FIELD_NUMBER: _ClassVar[int]
    REUSED_CALLS_FIELD_NUMBER: _ClassVar[int]
    REEXECUTED_CALLS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_CALLS_FIELD_NUMBER: _ClassVar[int]
    NEW_CALLS_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FAILURE_FIELD_NUMBER: _ClassVar[int]
    index: int
    source_exec_id: str
    state: ReplayJobItemState
    replay_exec_id: str
    replay_status: _execution_pb2.ExecutionStatus
    error: _status_pb2.Status
    result_changed: bool
    result_changes: _containers.RepeatedCompositeFieldContainer[_lineage_pb2.JsonChange]
    reused_calls: int
    reexecuted_calls: int
    changed_calls: int
    new_calls: int
    plan: _replay_plan_pb2.ReplayPlan
    update_time: _timestamp_pb2.Timestamp
    replay_failure: _execution_pb2.Failure
    def __init__(self, index: _Optional[int] = ..., source_exec_id: _Optional[str] = ..., state: _Optional[_Union[ReplayJobItemState, str]] = ..., replay_exec_id: _Optional[str] = ..., replay_status: _Optional[_Union[_execution_pb2.ExecutionStatus, str]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., result_changed: bool = ..., result_changes: _Optional[_Iterable[_Union[_lineage_pb2.JsonChange, _Mapping]]] = ..., reused_calls: _Optional[int] = ..., reexecuted_calls: _Optional[int] = ..., changed_calls: _Optional[int] = ..., new_calls: _Optional[int] = ..., plan: _Optional[_Union[_replay_plan_pb2.ReplayPlan, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., replay_failure: _Optional[_Union[_execution_pb2.Failure, _Mapping]] = ...) -> None: ...
