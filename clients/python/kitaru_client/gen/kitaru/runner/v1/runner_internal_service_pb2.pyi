import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2 as _execution_pb2
from kitaru_client.gen.kitaru.runner.v1 import replay_job_pb2 as _replay_job_pb2
from kitaru_client.gen.kitaru.runner.v1 import replay_plan_pb2 as _replay_plan_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCallGraphRequest(_message.Message):
    __slots__ = ("exec_id",)
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    def __init__(self, exec_id: _Optional[str] = ...) -> None: ...

class StartReplayRequest(_message.Message):
    __slots__ = ("plan", "request_id", "validate_only", "allow_override_type_change")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    ALLOW_OVERRIDE_TYPE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    plan: _replay_plan_pb2.ReplayPlan
    request_id: str
    validate_only: bool
    allow_override_type_change: bool
    def __init__(self, plan: _Optional[_Union[_replay_plan_pb2.ReplayPlan, _Mapping]] = ..., request_id: _Optional[str] = ..., validate_only: bool = ..., allow_override_type_change: bool = ...) -> None: ...

class StartReplayResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class GetCallGraphResponse(_message.Message):
    __slots__ = ("graph", "source_flow_version", "flow_version")
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    graph: _replay_plan_pb2.CallGraph
    source_flow_version: str
    flow_version: str
    def __init__(self, graph: _Optional[_Union[_replay_plan_pb2.CallGraph, _Mapping]] = ..., source_flow_version: _Optional[str] = ..., flow_version: _Optional[str] = ...) -> None: ...

class GetCallGraphResponseBytes(_message.Message):
    __slots__ = ("graph", "source_flow_version", "flow_version")
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    graph: _containers.RepeatedScalarFieldContainer[bytes]
    source_flow_version: str
    flow_version: str
    def __init__(self, graph: _Optional[_Iterable[bytes]] = ..., source_flow_version: _Optional[str] = ..., flow_version: _Optional[str] = ...) -> None: ...

class StoreReplayJobRequest(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _replay_job_pb2.ReplayJob
    def __init__(self, job: _Optional[_Union[_replay_job_pb2.ReplayJob, _Mapping]] = ...) -> None: ...

class StoreReplayJobResponse(_message.Message):
    __slots__ = ("job", "created")
    JOB_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    job: _replay_job_pb2.ReplayJob
    created: bool
    def __init__(self, job: _Optional[_Union[_replay_job_pb2.ReplayJob, _Mapping]] = ..., created: bool = ...) -> None: ...

class ReadReplayJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ReadReplayJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _replay_job_pb2.ReplayJob
    def __init__(self, job: _Optional[_Union[_replay_job_pb2.ReplayJob, _Mapping]] = ...) -> None: ...

class ListStoredReplayJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "unfinished_only", "all_namespaces")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNFINISHED_ONLY_FIELD_NUMBER: _ClassVar[int]
    ALL_NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    unfinished_only: bool
    all_namespaces: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., unfinished_only: bool = ..., all_namespaces: bool = ...) -> None: ...

class ListStoredReplayJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_replay_job_pb2.ReplayJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[_replay_job_pb2.ReplayJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MarkReplayJobRequest(_message.Message):
    __slots__ = ("job_id", "cancel_time", "end_time")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    cancel_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MarkReplayJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _replay_job_pb2.ReplayJob
    def __init__(self, job: _Optional[_Union[_replay_job_pb2.ReplayJob, _Mapping]] = ...) -> None: ...

class StoreReplayJobItemsRequest(_message.Message):
    __slots__ = ("job_id", "items")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    items: _containers.RepeatedCompositeFieldContainer[_replay_job_pb2.ReplayJobItem]
    def __init__(self, job_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[_replay_job_pb2.ReplayJobItem, _Mapping]]] = ...) -> None: ...

class StoreReplayJobItemsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReadReplayJobItemsRequest(_message.Message):
    __slots__ = ("job_id", "from_index", "limit")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_INDEX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    from_index: int
    limit: int
    def __init__(self, job_id: _Optional[str] = ..., from_index: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ReadReplayJobItemsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_replay_job_pb2.ReplayJobItem]
    def __init__(self, items: _Optional[_Iterable[_Union[_replay_job_pb2.ReplayJobItem, _Mapping]]] = ...) -> None: ...
