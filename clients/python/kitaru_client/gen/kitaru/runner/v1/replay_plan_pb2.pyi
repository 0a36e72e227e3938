from google.protobuf import struct_pb2 as _struct_pb2
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2 as _execution_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallGraph(_message.Message):
    __slots__ = ("exec_id", "flow_name", "status", "input", "calls", "version", "lineage")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    flow_name: str
    status: _execution_pb2.ExecutionStatus
    input: _struct_pb2.Struct
    calls: _containers.RepeatedCompositeFieldContainer[_execution_pb2.CheckpointCall]
    version: int
    lineage: _containers.RepeatedCompositeFieldContainer[CallLineage]
    def __init__(self, exec_id: _Optional[str] = ..., flow_name: _Optional[str] = ..., status: _Optional[_Union[_execution_pb2.ExecutionStatus, str]] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., calls: _Optional[_Iterable[_Union[_execution_pb2.CheckpointCall, _Mapping]]] = ..., version: _Optional[int] = ..., lineage: _Optional[_Iterable[_Union[CallLineage, _Mapping]]] = ...) -> None: ...

class CallLineage(_message.Message):
    __slots__ = ("invocation_id", "call_id", "name", "status", "sequence", "data_dependencies", "load_dependencies", "output_names")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DATA_DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    LOAD_DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NAMES_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    call_id: str
    name: str
    status: _execution_pb2.CheckpointCallStatus
    sequence: int
    data_dependencies: _containers.RepeatedScalarFieldContainer[str]
    load_dependencies: _containers.RepeatedScalarFieldContainer[str]
    output_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, invocation_id: _Optional[str] = ..., call_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[_execution_pb2.CheckpointCallStatus, str]] = ..., sequence: _Optional[int] = ..., data_dependencies: _Optional[_Iterable[str]] = ..., load_dependencies: _Optional[_Iterable[str]] = ..., output_names: _Optional[_Iterable[str]] = ...) -> None: ...

class PlannedCall(_message.Message):
    __slots__ = ("invocation_id", "call_id", "name", "sequence")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    call_id: str
    name: str
    sequence: int
    def __init__(self, invocation_id: _Optional[str] = ..., call_id: _Optional[str] = ..., name: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class CheckpointOverride(_message.Message):
    __slots__ = ("key", "selector", "target", "value", "consumer_invocation_ids")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SELECTOR_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_INVOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    key: str
    selector: str
    target: PlannedCall
    value: _struct_pb2.Value
    consumer_invocation_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[str] = ..., selector: _Optional[str] = ..., target: _Optional[_Union[PlannedCall, _Mapping]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., consumer_invocation_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReplayPlan(_message.Message):
    __slots__ = ("source_exec_id", "flow_name", "from_call", "roots", "reexecute", "reuse", "overrides", "input", "source_version", "source_flow_version", "flow_version", "answer_waits_from_source")
    SOURCE_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    FROM_CALL_FIELD_NUMBER: _ClassVar[int]
    ROOTS_FIELD_NUMBER: _ClassVar[int]
    REEXECUTE_FIELD_NUMBER: _ClassVar[int]
    REUSE_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    ANSWER_WAITS_FROM_SOURCE_FIELD_NUMBER: _ClassVar[int]
    source_exec_id: str
    flow_name: str
    from_call: PlannedCall
    roots: _containers.RepeatedCompositeFieldContainer[PlannedCall]
    reexecute: _containers.RepeatedCompositeFieldContainer[PlannedCall]
    reuse: _containers.RepeatedCompositeFieldContainer[PlannedCall]
    overrides: _containers.RepeatedCompositeFieldContainer[CheckpointOverride]
    input: _struct_pb2.Struct
    source_version: int
    source_flow_version: str
    flow_version: str
    answer_waits_from_source: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, source_exec_id: _Optional[str] = ..., flow_name: _Optional[str] = ..., from_call: _Optional[_Union[PlannedCall, _Mapping]] = ..., roots: _Optional[_Iterable[_Union[PlannedCall, _Mapping]]] = ..., reexecute: _Optional[_Iterable[_Union[PlannedCall, _Mapping]]] = ..., reuse: _Optional[_Iterable[_Union[PlannedCall, _Mapping]]] = ..., overrides: _Optional[_Iterable[_Union[CheckpointOverride, _Mapping]]] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., source_version: _Optional[int] = ..., source_flow_version: _Optional[str] = ..., flow_version: _Optional[str] = ..., answer_waits_from_source: _Optional[_Iterable[str]] = ..., **kwargs) -> None: ...
