import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2 as _execution_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LineageEdgeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINEAGE_EDGE_KIND_UNSPECIFIED: _ClassVar[LineageEdgeKind]
    LINEAGE_EDGE_KIND_ORIGINAL: _ClassVar[LineageEdgeKind]
    LINEAGE_EDGE_KIND_REPLAY_OF: _ClassVar[LineageEdgeKind]

class CallComparisonKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_COMPARISON_KIND_UNSPECIFIED: _ClassVar[CallComparisonKind]
    CALL_COMPARISON_KIND_REUSED: _ClassVar[CallComparisonKind]
    CALL_COMPARISON_KIND_SAME_OUTPUT: _ClassVar[CallComparisonKind]
    CALL_COMPARISON_KIND_CHANGED_OUTPUT: _ClassVar[CallComparisonKind]
    CALL_COMPARISON_KIND_OVERRIDDEN: _ClassVar[CallComparisonKind]
    CALL_COMPARISON_KIND_NEW: _ClassVar[CallComparisonKind]
    CALL_COMPARISON_KIND_NOT_REACHED: _ClassVar[CallComparisonKind]

class JsonChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JSON_CHANGE_KIND_UNSPECIFIED: _ClassVar[JsonChangeKind]
    JSON_CHANGE_KIND_ADDED: _ClassVar[JsonChangeKind]
    JSON_CHANGE_KIND_REMOVED: _ClassVar[JsonChangeKind]
    JSON_CHANGE_KIND_CHANGED: _ClassVar[JsonChangeKind]
LINEAGE_EDGE_KIND_UNSPECIFIED: LineageEdgeKind
LINEAGE_EDGE_KIND_ORIGINAL: LineageEdgeKind
LINEAGE_EDGE_KIND_REPLAY_OF: LineageEdgeKind
CALL_COMPARISON_KIND_UNSPECIFIED: CallComparisonKind
CALL_COMPARISON_KIND_REUSED: CallComparisonKind
CALL_COMPARISON_KIND_SAME_OUTPUT: CallComparisonKind
CALL_COMPARISON_KIND_CHANGED_OUTPUT: CallComparisonKind
CALL_COMPARISON_KIND_OVERRIDDEN: CallComparisonKind
CALL_COMPARISON_KIND_NEW: CallComparisonKind
CALL_COMPARISON_KIND_NOT_REACHED: CallComparisonKind
JSON_CHANGE_KIND_UNSPECIFIED: JsonChangeKind
JSON_CHANGE_KIND_ADDED: JsonChangeKind
JSON_CHANGE_KIND_REMOVED: JsonChangeKind
JSON_CHANGE_KIND_CHANGED: JsonChangeKind

class ExecutionLineage(_message.Message):
    __slots__ = ("exec_id", "root_exec_id", "nodes", "truncated")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    root_exec_id: str
    nodes: _containers.RepeatedCompositeFieldContainer[LineageNode]
    truncated: bool
    def __init__(self, exec_id: _Optional[str] = ..., root_exec_id: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[LineageNode, _Mapping]]] = ..., truncated: bool = ...) -> None: ...

class LineageNode(_message.Message):
    __slots__ = ("exec_id", "flow_name", "status", "edge", "parent_exec_id", "replay", "retry_count", "create_time", "update_time", "checkpoint_count", "flow_version")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EDGE_FIELD_NUMBER: _ClassVar[int]
    PARENT_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FIELD_NUMBER: _ClassVar[int]
    RETRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_COUNT_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    flow_name: str
    status: _execution_pb2.ExecutionStatus
    edge: LineageEdgeKind
    parent_exec_id: str
    replay: _execution_pb2.ReplayOrigin
    retry_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    checkpoint_count: int
    flow_version: str
    def __init__(self, exec_id: _Optional[str] = ..., flow_name: _Optional[str] = ..., status: _Optional[_Union[_execution_pb2.ExecutionStatus, str]] = ..., edge: _Optional[_Union[LineageEdgeKind, str]] = ..., parent_exec_id: _Optional[str] = ..., replay: _Optional[_Union[_execution_pb2.ReplayOrigin, _Mapping]] = ..., retry_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., checkpoint_count: _Optional[int] = ..., flow_version: _Optional[str] = ...) -> None: ...

class ExecutionComparison(_message.Message):
    __slots__ = ("base_exec_id", "other_exec_id", "calls", "input_changes", "result_changes", "counts", "base_flow_version", "other_flow_version")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BASE_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    OTHER_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    INPUT_CHANGES_FIELD_NUMBER: _ClassVar[int]
    RESULT_CHANGES_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    BASE_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    OTHER_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    base_exec_id: str
    other_exec_id: str
    calls: _containers.RepeatedCompositeFieldContainer[CallComparison]
    input_changes: _containers.RepeatedCompositeFieldContainer[JsonChange]
    result_changes: _containers.RepeatedCompositeFieldContainer[JsonChange]
    counts: _containers.ScalarMap[str, int]
    base_flow_version: str
    other_flow_version: str
    def __init__(self, base_exec_id: _Optional[str] = ..., other_exec_id: _Optional[str] = ..., calls: _Optional[_Iterable[_Union[CallComparison, _Mapping]]] = ..., input_changes: _Optional[_Iterable[_Union[JsonChange, _Mapping]]] = ..., result_changes: _Optional[_Iterable[_Union[JsonChange, _Mapping]]] = ..., counts: _Optional[_Mapping[str, int]] = ..., base_flow_version: _Optional[str] = ..., other_flow_version: _Optional[str] = ...) -> None: ...

class CallComparison(_message.Message):
    __slots__ = ("invocation_id", "name", "kind", "base", "other", "changes")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_NUMBER: _ClassVar[int]
    OTHER_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    name: str
    kind: CallComparisonKind
    base: _execution_pb2.CheckpointCall
    other: _execution_pb2.CheckpointCall
    changes: _containers.RepeatedCompositeFieldContainer[JsonChange]
    def __init__(self, invocation_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[CallComparisonKind, str]] = ..., base: _Optional[_Union[_execution_pb2.CheckpointCall, _Mapping]] = ..., other: _Optional[_Union[_execution_pb2.CheckpointCall, _Mapping]] = ..., changes: _Optional[_Iterable[_Union[JsonChange, _Mapping]]] = ...) -> None: ...

class JsonChange(_message.Message):
    __slots__ = ("path", "kind", "before", "after")
    PATH_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    path: str
    kind: JsonChangeKind
    before: _struct_pb2.Value
    after: _struct_pb2.Value
    def __init__(self, path: _Optional[str] = ..., kind: _Optional[_Union[JsonChangeKind, str]] = ..., before: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., after: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
