from google.protobuf import struct_pb2 as _struct_pb2
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2 as _execution_pb2
from kitaru_client.gen.kitaru.runner.v1 import replay_job_pb2 as _replay_job_pb2
from kitaru_client.gen.kitaru.runner.v1 import replay_plan_pb2 as _replay_plan_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanReplayRequest(_message.Message):
    __slots__ = ("exec_id", "args", "overrides", "allow_override_type_change", "answer_waits_from_source")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    ALLOW_OVERRIDE_TYPE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    ANSWER_WAITS_FROM_SOURCE_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    args: _struct_pb2.Struct
    overrides: _struct_pb2.Struct
    allow_override_type_change: bool
    answer_waits_from_source: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, exec_id: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., overrides: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., allow_override_type_change: bool = ..., answer_waits_from_source: _Optional[_Iterable[str]] = ..., **kwargs) -> None: ...

class PlanReplayResponse(_message.Message):
    __slots__ = ("plan",)
    PLAN_FIELD_NUMBER: _ClassVar[int]
    plan: _replay_plan_pb2.ReplayPlan
    def __init__(self, plan: _Optional[_Union[_replay_plan_pb2.ReplayPlan, _Mapping]] = ...) -> None: ...

class ReplayExecutionRequest(_message.Message):
    __slots__ = ("exec_id", "args", "overrides", "request_id", "allow_override_type_change", "answer_waits_from_source")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ALLOW_OVERRIDE_TYPE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    ANSWER_WAITS_FROM_SOURCE_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    args: _struct_pb2.Struct
    overrides: _struct_pb2.Struct
    request_id: str
    allow_override_type_change: bool
    answer_waits_from_source: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, exec_id: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., overrides: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., request_id: _Optional[str] = ..., allow_override_type_change: bool = ..., answer_waits_from_source: _Optional[_Iterable[str]] = ..., **kwargs) -> None: ...

class ReplayExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class StartReplayJobRequest(_message.Message):
    __slots__ = ("spec", "request_id")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    spec: _replay_job_pb2.ReplayJobSpec
    request_id: str
    def __init__(self, spec: _Optional[_Union[_replay_job_pb2.ReplayJobSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StartReplayJobResponse(_message.Message):
    __slots__ = ("job", "items")
    JOB_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    job: _replay_job_pb2.ReplayJob
    items: _containers.RepeatedCompositeFieldContainer[_replay_job_pb2.ReplayJobItem]
    def __init__(self, job: _Optional[_Union[_replay_job_pb2.ReplayJob, _Mapping]] = ..., items: _Optional[_Iterable[_Union[_replay_job_pb2.ReplayJobItem, _Mapping]]] = ...) -> None: ...

class GetReplayJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetReplayJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _replay_job_pb2.ReplayJob
    def __init__(self, job: _Optional[_Union[_replay_job_pb2.ReplayJob, _Mapping]] = ...) -> None: ...

class ListReplayJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReplayJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_replay_job_pb2.ReplayJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[_replay_job_pb2.ReplayJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListReplayJobItemsRequest(_message.Message):
    __slots__ = ("job_id", "page_size", "page_token", "changed_only")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CHANGED_ONLY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    page_size: int
    page_token: str
    changed_only: bool
    def __init__(self, job_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., changed_only: bool = ...) -> None: ...

class ListReplayJobItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_replay_job_pb2.ReplayJobItem]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[_replay_job_pb2.ReplayJobItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelReplayJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelReplayJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _replay_job_pb2.ReplayJob
    def __init__(self, job: _Optional[_Union[_replay_job_pb2.ReplayJob, _Mapping]] = ...) -> None: ...

class WatchReplayJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class WatchReplayJobResponse(_message.Message):
    __slots__ = ("job", "items")
    JOB_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    job: _replay_job_pb2.ReplayJob
    items: _containers.RepeatedCompositeFieldContainer[_replay_job_pb2.ReplayJobItem]
    def __init__(self, job: _Optional[_Union[_replay_job_pb2.ReplayJob, _Mapping]] = ..., items: _Optional[_Iterable[_Union[_replay_job_pb2.ReplayJobItem, _Mapping]]] = ...) -> None: ...
