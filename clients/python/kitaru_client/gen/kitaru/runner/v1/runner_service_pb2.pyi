from google.protobuf import struct_pb2 as _struct_pb2
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2 as _execution_pb2
from kitaru_client.gen.kitaru.runner.v1 import lineage_pb2 as _lineage_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartExecutionRequest(_message.Message):
    __slots__ = ("flow_name", "input", "request_id")
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    flow_name: str
    input: _struct_pb2.Struct
    request_id: str
    def __init__(self, flow_name: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StartAndWatchExecutionRequest(_message.Message):
    __slots__ = ("flow_name", "input", "request_id")
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    flow_name: str
    input: _struct_pb2.Struct
    request_id: str
    def __init__(self, flow_name: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StartAndWatchExecutionResponse(_message.Message):
    __slots__ = ("execution", "event")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    event: _execution_pb2.ExecutionEvent
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ..., event: _Optional[_Union[_execution_pb2.ExecutionEvent, _Mapping]] = ...) -> None: ...

class GetExecutionRequest(_message.Message):
    __slots__ = ("exec_id", "view", "checkpoints_page_token")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    view: _execution_pb2.ExecutionView
    checkpoints_page_token: str
    def __init__(self, exec_id: _Optional[str] = ..., view: _Optional[_Union[_execution_pb2.ExecutionView, str]] = ..., checkpoints_page_token: _Optional[str] = ...) -> None: ...

class ListExecutionsRequest(_message.Message):
    __slots__ = ("flow_name", "status", "page_size", "page_token")
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    flow_name: str
    status: _execution_pb2.ExecutionStatus
    page_size: int
    page_token: str
    def __init__(self, flow_name: _Optional[str] = ..., status: _Optional[_Union[_execution_pb2.ExecutionStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListExecutionsResponse(_message.Message):
    __slots__ = ("executions", "next_page_token")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Execution]
    next_page_token: str
    def __init__(self, executions: _Optional[_Iterable[_Union[_execution_pb2.Execution, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPendingWaitsRequest(_message.Message):
    __slots__ = ("exec_id",)
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    def __init__(self, exec_id: _Optional[str] = ...) -> None: ...

class ListPendingWaitsResponse(_message.Message):
    __slots__ = ("waits",)
    WAITS_FIELD_NUMBER: _ClassVar[int]
    waits: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Wait]
    def __init__(self, waits: _Optional[_Iterable[_Union[_execution_pb2.Wait, _Mapping]]] = ...) -> None: ...

class ResolveWaitRequest(_message.Message):
    __slots__ = ("exec_id", "wait", "value")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    wait: str
    value: _struct_pb2.Value
    def __init__(self, exec_id: _Optional[str] = ..., wait: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class AbortWaitRequest(_message.Message):
    __slots__ = ("exec_id", "wait")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    wait: str
    def __init__(self, exec_id: _Optional[str] = ..., wait: _Optional[str] = ...) -> None: ...

class RetryExecutionRequest(_message.Message):
    __slots__ = ("exec_id",)
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    def __init__(self, exec_id: _Optional[str] = ...) -> None: ...

class CancelExecutionRequest(_message.Message):
    __slots__ = ("exec_id",)
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    def __init__(self, exec_id: _Optional[str] = ...) -> None: ...

class WatchExecutionRequest(_message.Message):
    __slots__ = ("exec_id", "follow_waits", "status_only", "after_sequence")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_WAITS_FIELD_NUMBER: _ClassVar[int]
    STATUS_ONLY_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    follow_waits: bool
    status_only: bool
    after_sequence: int
    def __init__(self, exec_id: _Optional[str] = ..., follow_waits: bool = ..., status_only: bool = ..., after_sequence: _Optional[int] = ...) -> None: ...

class ListExecutionLogsRequest(_message.Message):
    __slots__ = ("exec_id", "checkpoint", "page_size", "page_token")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    checkpoint: str
    page_size: int
    page_token: str
    def __init__(self, exec_id: _Optional[str] = ..., checkpoint: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListExecutionLogsResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_execution_pb2.LogEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[_execution_pb2.LogEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchExecutionLogsRequest(_message.Message):
    __slots__ = ("exec_id", "checkpoint")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    checkpoint: str
    def __init__(self, exec_id: _Optional[str] = ..., checkpoint: _Optional[str] = ...) -> None: ...

class WatchExecutionLogsResponse(_message.Message):
    __slots__ = ("entry", "status_changed")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    entry: _execution_pb2.LogEntry
    status_changed: _execution_pb2.StatusChange
    def __init__(self, entry: _Optional[_Union[_execution_pb2.LogEntry, _Mapping]] = ..., status_changed: _Optional[_Union[_execution_pb2.StatusChange, _Mapping]] = ...) -> None: ...

class ReadExecutionValueRequest(_message.Message):
    __slots__ = ("exec_id", "path")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    path: str
    def __init__(self, exec_id: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class ReadExecutionValueResponse(_message.Message):
    __slots__ = ("chunk", "total_bytes")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    total_bytes: int
    def __init__(self, chunk: _Optional[bytes] = ..., total_bytes: _Optional[int] = ...) -> None: ...

class ListFlowsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListFlowsResponse(_message.Message):
    __slots__ = ("flows", "flow_version")
    FLOWS_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    flows: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Flow]
    flow_version: str
    def __init__(self, flows: _Optional[_Iterable[_Union[_execution_pb2.Flow, _Mapping]]] = ..., flow_version: _Optional[str] = ...) -> None: ...

class StartExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class GetExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class ResolveWaitResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class AbortWaitResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class RetryExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class CancelExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class WatchExecutionResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _execution_pb2.ExecutionEvent
    def __init__(self, event: _Optional[_Union[_execution_pb2.ExecutionEvent, _Mapping]] = ...) -> None: ...

class GetExecutionLineageRequest(_message.Message):
    __slots__ = ("exec_id", "max_nodes")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_NODES_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    max_nodes: int
    def __init__(self, exec_id: _Optional[str] = ..., max_nodes: _Optional[int] = ...) -> None: ...

class GetExecutionLineageResponse(_message.Message):
    __slots__ = ("lineage",)
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    lineage: _lineage_pb2.ExecutionLineage
    def __init__(self, lineage: _Optional[_Union[_lineage_pb2.ExecutionLineage, _Mapping]] = ...) -> None: ...

class CompareExecutionsRequest(_message.Message):
    __slots__ = ("base_exec_id", "other_exec_id")
    BASE_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    OTHER_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    base_exec_id: str
    other_exec_id: str
    def __init__(self, base_exec_id: _Optional[str] = ..., other_exec_id: _Optional[str] = ...) -> None: ...

class CompareExecutionsResponse(_message.Message):
    __slots__ = ("comparison",)
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    comparison: _lineage_pb2.ExecutionComparison
    def __init__(self, comparison: _Optional[_Union[_lineage_pb2.ExecutionComparison, _Mapping]] = ...) -> None: ...

class VerifyExecutionsRequest(_message.Message):
    __slots__ = ("exec_ids", "flow_name", "status", "page_size", "page_token")
    EXEC_IDS_FIELD_NUMBER: _ClassVar[int]
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    exec_ids: _containers.RepeatedScalarFieldContainer[str]
    flow_name: str
    status: _execution_pb2.ExecutionStatus
    page_size: int
    page_token: str
    def __init__(self, exec_ids: _Optional[_Iterable[str]] = ..., flow_name: _Optional[str] = ..., status: _Optional[_Union[_execution_pb2.ExecutionStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class VerifyExecutionsResponse(_message.Message):
    __slots__ = ("flow_version", "results", "next_page_token")
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    flow_version: str
    results: _containers.RepeatedCompositeFieldContainer[_execution_pb2.ExecutionVerification]
    next_page_token: str
    def __init__(self, flow_version: _Optional[str] = ..., results: _Optional[_Iterable[_Union[_execution_pb2.ExecutionVerification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
