// Package kitaru is the Go client of kitaru's runner and planner services:
// NewClient (client.go) with Executions and Flows, plain result structs
// (models.go), and the error hierarchy rebuilt from gRPC status details (this file).
//
// The hierarchy mirrors proto/ts/src/errors/kitaru-error.ts and
// clients/python/kitaru_client/errors.py:
//
//	KitaruError (interface; BaseError holds the common fields)
//	├── UsageError            invalid input: fix the request
//	│   ├── WaitValidationError   wait input rejected by its schema
//	│   └── ContextError          authoring API used outside a flow
//	├── StateError            the execution's state forbids the operation
//	│   └── NotFoundError         no such execution (or flow)
//	├── ExecutionError        an execution ended unsuccessfully
//	│   ├── UserCodeError         ... because user code threw
//	│   └── DivergenceError       ... because the durable call sequence diverged
//	├── BackendError          a backend (database, runner) is unavailable
//	└── InternalError         a bug in kitaru
//
// plus PendingWaitError (a StateError), which Executions.Result returns when
// the execution waits for input.
//
// [FromStatus] picks the type from the google.rpc.ErrorInfo (domain
// "kitaru.dev") in the grpc-status-details-bin trailer and fills its fields
// from the typed details (kitaru.errors.v1.*, google.rpc.BadRequest,
// google.rpc.ResourceInfo, kitaru.runner.v1.Failure). Messages are never
// parsed (contract §7). A status without a kitaru ErrorInfo (a proxy, another
// server, a connection failure) maps by its code, as the TypeScript and Python
// clients do.
//
// # Parent types and errors.As
//
// Go has no subclasses, so a child type embeds its parent by value (a
// NotFoundError embeds a StateError, which embeds a BaseError) and defines an
// As method that hands out a pointer to the embedded parent. Hence, for a
// *NotFoundError err, both of these succeed and see the same data:
//
//	var nf *kitaru.NotFoundError; errors.As(err, &nf)
//	var st *kitaru.StateError;    errors.As(err, &st) // st == &nf.StateError
//
// and errors.As(err, &k) with k a KitaruError matches every kitaru error.
// Every type defines its own As (a promoted one would only know the
// parent's ancestors). Unwrap returns the original gRPC error (BaseError.Cause),
// so errors.As/Is still reach it; GRPCStatus makes status.FromError and
// status.Code work on kitaru errors directly. Match types with errors.As, not
// with a type switch (a switch on *StateError does not match a *NotFoundError).
package kitaru

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	errorsv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/errors/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// ErrorDomain is the google.rpc.ErrorInfo.domain of every kitaru error.
const ErrorDomain = "kitaru.dev"

// The google.rpc.ErrorInfo.reason values kitaru sends (kitaru/errors/v1/errors.proto).
const (
	ReasonUsage            = "KITARU_USAGE_ERROR"
	ReasonWaitValidation   = "KITARU_WAIT_VALIDATION_ERROR"
	ReasonContext          = "KITARU_CONTEXT_ERROR"
	ReasonState            = "KITARU_STATE_ERROR"
	ReasonNotFound         = "KITARU_NOT_FOUND"
	ReasonExecution        = "KITARU_EXECUTION_ERROR"
	ReasonUserCode         = "KITARU_USER_CODE_ERROR"
	ReasonDivergence       = "KITARU_DIVERGENCE_ERROR"
	ReasonBackend          = "KITARU_BACKEND_ERROR"
	ReasonUnauthenticated  = "KITARU_UNAUTHENTICATED"
	ReasonPermissionDenied = "KITARU_PERMISSION_DENIED"
	ReasonInternal         = "KITARU_INTERNAL_ERROR"
)

// KitaruError is implemented by every kitaru error type (always as a pointer,
// e.g. *NotFoundError). Branch on the type (errors.As) or on Reason, never on
// the message.
type KitaruError interface {
	error
	// Reason is the ErrorInfo.reason, e.g. ReasonNotFound (the type's own
	// reason when the server sent no kitaru ErrorInfo).
	Reason() string
	// Code is the gRPC status code of the failed call.
	Code() codes.Code
	// GRPCStatus is the status the server sent, details included.
	GRPCStatus() *status.Status
	// Base gives the fields every kitaru error has.
	Base() *BaseError
}

// BaseError holds what every kitaru error has. It is embedded (through its
// parents) in every error type; it is not returned on its own.
type BaseError struct {
	// Message is the status message (for people; do not parse it).
	Message string
	// Metadata is ErrorInfo.metadata (lowerCamel keys, string values, e.g.
	// "execId"). Errors mapped from a status without kitaru details also get
	// "grpcCode" (e.g. "PERMISSION_DENIED"). Never nil.
	Metadata map[string]string
	// Cause is the error returned by the gRPC call, if any (see Unwrap).
	Cause error

	reason string
	code   codes.Code
	status *status.Status
}

// Error returns "<reason>: <message>".
func (e *BaseError) Error() string {
	if e.Message == "" {
		return e.reason
	}
	return e.reason + ": " + e.Message
}

// Reason is the ErrorInfo.reason.
func (e *BaseError) Reason() string { return e.reason }

// Code is the gRPC status code.
func (e *BaseError) Code() codes.Code { return e.code }

// GRPCStatus is the status the server sent (details included), or one built
// from Code and Message when there was none.
func (e *BaseError) GRPCStatus() *status.Status {
	if e.status != nil {
		return e.status
	}
	return status.New(e.code, e.Message)
}

// Base returns e.
func (e *BaseError) Base() *BaseError { return e }

// Unwrap returns the original gRPC error (Cause), or nil.
func (e *BaseError) Unwrap() error { return e.Cause }

// FieldViolation is a problem with one field of a JSON value; Field is a
// dotted path ("" for the root).
type FieldViolation struct {
	Field       string
	Description string
}

// UsageError: the request is invalid (INVALID_ARGUMENT); fix it, retrying
// unchanged fails the same way.
type UsageError struct {
	BaseError
	// Violations are the field problems from google.rpc.BadRequest (or WaitValidation).
	Violations []FieldViolation
	// BadRequest is the google.rpc.BadRequest detail, or nil.
	BadRequest *errdetails.BadRequest
}

// As lets errors.As find the parents of a *UsageError.
func (e *UsageError) As(target any) bool {
	return asBase(&e.BaseError, target)
}

// WaitValidationError: a wait input was rejected by the wait's schema; the
// execution still waits. It is also a UsageError.
type WaitValidationError struct {
	UsageError
	ExecID   string
	WaitName string
	WaitID   string
	// WaitValidation is the kitaru.errors.v1.WaitValidation detail, or nil.
	WaitValidation *errorsv1.WaitValidation
}

// As lets errors.As find the parents of a *WaitValidationError.
func (e *WaitValidationError) As(target any) bool {
	if t, ok := target.(**UsageError); ok {
		*t = &e.UsageError
		return true
	}
	return asBase(&e.BaseError, target)
}

// ContextError: the authoring API was used where it cannot work (raised
// inside the runner). It is also a UsageError.
type ContextError struct {
	UsageError
}

// As lets errors.As find the parents of a *ContextError.
func (e *ContextError) As(target any) bool {
	if t, ok := target.(**UsageError); ok {
		*t = &e.UsageError
		return true
	}
	return asBase(&e.BaseError, target)
}

// StateError: the execution's state forbids the operation (FAILED_PRECONDITION).
// Each detail field is nil when the server did not send it.
type StateError struct {
	BaseError
	// Selector: a checkpoint selector matched no call or several.
	Selector *errorsv1.SelectorResolution
	// State: the execution, its status and the refused operation.
	State *errorsv1.ExecutionStateDetail
	// WaitSelection: a wait selector matched no pending wait or several.
	WaitSelection *errorsv1.WaitSelection
}

// As lets errors.As find the parents of a *StateError.
func (e *StateError) As(target any) bool {
	return asBase(&e.BaseError, target)
}

// NotFoundError: no execution (or flow) has that ID or name (NOT_FOUND). It
// is also a StateError.
type NotFoundError struct {
	StateError
	// ResourceType is "execution" or "flow".
	ResourceType string
	// ResourceName is the execution ID or flow name.
	ResourceName string
	// ResourceInfo is the google.rpc.ResourceInfo detail, or nil.
	ResourceInfo *errdetails.ResourceInfo
}

// As lets errors.As find the parents of a *NotFoundError.
func (e *NotFoundError) As(target any) bool {
	if t, ok := target.(**StateError); ok {
		*t = &e.StateError
		return true
	}
	return asBase(&e.BaseError, target)
}

// ExecutionError: an execution ended failed or cancelled.
type ExecutionError struct {
	BaseError
	ExecID string
	// Status is the execution's status in lower case: "failed" or "cancelled".
	Status string
	// Failure is the kitaru.runner.v1.Failure detail, or nil.
	Failure *runnerv1.Failure
}

// As lets errors.As find the parents of an *ExecutionError.
func (e *ExecutionError) As(target any) bool {
	return asBase(&e.BaseError, target)
}

// UserCodeError: an execution failed because the flow body or a checkpoint
// threw. It is also an ExecutionError.
type UserCodeError struct {
	ExecutionError
}

// As lets errors.As find the parents of a *UserCodeError.
func (e *UserCodeError) As(target any) bool {
	if t, ok := target.(**ExecutionError); ok {
		*t = &e.ExecutionError
		return true
	}
	return asBase(&e.BaseError, target)
}

// DivergenceError: a replayed or recovered run broke durable call sequence
// compatibility. It is also an ExecutionError.
type DivergenceError struct {
	ExecutionError
	// Detail is the kitaru.errors.v1.DivergenceDetail (invocation ID, what was
	// recorded and what was seen), or nil if the server sent none.
	Detail *errorsv1.DivergenceDetail
}

// As lets errors.As find the parents of a *DivergenceError.
func (e *DivergenceError) As(target any) bool {
	if t, ok := target.(**ExecutionError); ok {
		*t = &e.ExecutionError
		return true
	}
	return asBase(&e.BaseError, target)
}

// AuthError: the call carried no token the service accepts (UNAUTHENTICATED);
// set KITARU_TOKEN or Options.Token.
type AuthError struct {
	BaseError
}

// As lets errors.As find the parents of an *AuthError.
func (e *AuthError) As(target any) bool {
	return asBase(&e.BaseError, target)
}

// PermissionError: the token is valid but does not allow the call, e.g.
// acting in another namespace (PERMISSION_DENIED).
type PermissionError struct {
	BaseError
}

// As lets errors.As find the parents of a *PermissionError.
func (e *PermissionError) As(target any) bool {
	return asBase(&e.BaseError, target)
}

// BackendError: a backend (the database, the runner) is unavailable; retrying
// later may succeed.
type BackendError struct {
	BaseError
}

// As lets errors.As find the parents of a *BackendError.
func (e *BackendError) As(target any) bool {
	return asBase(&e.BaseError, target)
}

// InternalError: a bug in kitaru; the cause is in the failing service's log.
type InternalError struct {
	BaseError
}

// As lets errors.As find the parents of an *InternalError.
func (e *InternalError) As(target any) bool {
	return asBase(&e.BaseError, target)
}

// PendingWaitError: the execution Executions.Result waited on stopped at
// pending waits. Raised by the client, never sent on the wire. Nothing
// failed: answer each wait in PendingWaits with Executions.Input, then call
// Result again. It is also a StateError (State names the execution, status
// "waiting", operation "wait").
type PendingWaitError struct {
	StateError
	ExecID       string
	PendingWaits []Wait
}

// As lets errors.As find the parents of a *PendingWaitError.
func (e *PendingWaitError) As(target any) bool {
	if t, ok := target.(**StateError); ok {
		*t = &e.StateError
		return true
	}
	return asBase(&e.BaseError, target)
}

// asBase serves errors.As(err, &b) with b a *BaseError.
func asBase(b *BaseError, target any) bool {
	if t, ok := target.(**BaseError); ok {
		*t = b
		return true
	}
	return false
}

// Compile-time checks: every type is a KitaruError.
var (
	_ KitaruError = (*UsageError)(nil)
	_ KitaruError = (*WaitValidationError)(nil)
	_ KitaruError = (*ContextError)(nil)
	_ KitaruError = (*StateError)(nil)
	_ KitaruError = (*NotFoundError)(nil)
	_ KitaruError = (*ExecutionError)(nil)
	_ KitaruError = (*UserCodeError)(nil)
	_ KitaruError = (*DivergenceError)(nil)
	_ KitaruError = (*BackendError)(nil)
	_ KitaruError = (*AuthError)(nil)
	_ KitaruError = (*PermissionError)(nil)
	_ KitaruError = (*InternalError)(nil)
	_ KitaruError = (*PendingWaitError)(nil)
)

// codeOfReason is the status code a service sends with each reason
// (proto/ts/src/errors/wire.ts), for the errors the client raises itself.
var codeOfReason = map[string]codes.Code{
	ReasonUsage:            codes.InvalidArgument,
	ReasonWaitValidation:   codes.InvalidArgument,
	ReasonContext:          codes.InvalidArgument,
	ReasonState:            codes.FailedPrecondition,
	ReasonNotFound:         codes.NotFound,
	ReasonExecution:        codes.FailedPrecondition,
	ReasonUserCode:         codes.FailedPrecondition,
	ReasonDivergence:       codes.FailedPrecondition,
	ReasonBackend:          codes.Unavailable,
	ReasonUnauthenticated:  codes.Unauthenticated,
	ReasonPermissionDenied: codes.PermissionDenied,
	ReasonInternal:         codes.Internal,
}

// clientError is the BaseError of an error the client raises itself (no call failed).
func clientError(message, reason string, metadata map[string]string) BaseError {
	if metadata == nil {
		metadata = map[string]string{}
	}
	return BaseError{Message: message, Metadata: metadata, reason: reason, code: codeOfReason[reason]}
}

func usageError(message string, metadata map[string]string) *UsageError {
	return &UsageError{BaseError: clientError(message, ReasonUsage, metadata)}
}

// ---------------------------------------------------------------------------
// wire -> error

// FromStatus rebuilds the kitaru error behind an error returned by a gRPC
// call. It returns nil for nil, err itself when err already is (or wraps) a
// KitaruError, and err unchanged when it carries no gRPC status (not a gRPC
// failure). Otherwise the result is a KitaruError whose Cause is err.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	var k KitaruError
	if errors.As(err, &k) {
		return err
	}
	s, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := FromGRPCStatus(s)
	e.Base().Cause = err
	return e
}

// FromGRPCStatus rebuilds a kitaru error from a gRPC status (code, message
// and google.rpc.Status details). The type comes from ErrorInfo.reason alone
// (domain "kitaru.dev"). Without a kitaru ErrorInfo the code decides:
// INVALID_ARGUMENT → UsageError, NOT_FOUND → NotFoundError,
// FAILED_PRECONDITION → StateError, INTERNAL / UNKNOWN / DATA_LOSS /
// UNIMPLEMENTED → InternalError, any other code (UNAVAILABLE,
// DEADLINE_EXCEEDED, ...) → BackendError; such errors get Metadata["grpcCode"]
// (e.g. "PERMISSION_DENIED"). Returns nil for an OK status.
func FromGRPCStatus(s *status.Status) KitaruError {
	if s == nil || s.Code() == codes.OK {
		return nil
	}
	d := details(s.Proto().GetDetails())
	info := findDetail[errdetails.ErrorInfo](d)
	metadata := map[string]string{}
	for k, v := range info.GetMetadata() {
		metadata[k] = v
	}
	base := BaseError{Message: s.Message(), Metadata: metadata, code: s.Code(), status: s}

	if info != nil && info.GetDomain() == ErrorDomain {
		base.reason = info.GetReason()
		if e := decode(base, d); e != nil {
			return e
		}
	}

	// No kitaru ErrorInfo (or a reason this client does not know): by code.
	name, known := code.Code_name[int32(s.Code())]
	if !known {
		name = fmt.Sprint(uint32(s.Code()))
	}
	metadata["grpcCode"] = name
	switch s.Code() {
	case codes.InvalidArgument, codes.ResourceExhausted:
		base.reason = ReasonUsage
		return usage(base, d)
	case codes.Unauthenticated:
		base.reason = ReasonUnauthenticated
		return &AuthError{BaseError: base}
	case codes.PermissionDenied:
		base.reason = ReasonPermissionDenied
		return &PermissionError{BaseError: base}
	case codes.NotFound:
		base.reason = ReasonNotFound
		return notFound(base, d)
	case codes.FailedPrecondition:
		base.reason = ReasonState
		return &StateError{BaseError: base}
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unimplemented:
		base.reason = ReasonInternal
		return &InternalError{BaseError: base}
	default:
		base.reason = ReasonBackend
		return &BackendError{BaseError: base}
	}
}

// decode builds the type of base.reason, or returns nil for an unknown reason.
func decode(base BaseError, d details) KitaruError {
	switch base.reason {
	case ReasonUsage:
		return usage(base, d)
	case ReasonContext:
		return &ContextError{UsageError: *usage(base, d)}
	case ReasonWaitValidation:
		w := findDetail[errorsv1.WaitValidation](d)
		u := usage(base, d)
		if w != nil {
			u.Violations = make([]FieldViolation, 0, len(w.GetViolations()))
			for _, v := range w.GetViolations() {
				u.Violations = append(u.Violations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
		return &WaitValidationError{
			UsageError:     *u,
			ExecID:         w.GetExecId(),
			WaitName:       w.GetWaitName(),
			WaitID:         w.GetWaitId(),
			WaitValidation: w,
		}
	case ReasonState:
		return state(base, d)
	case ReasonNotFound:
		return notFound(base, d)
	case ReasonExecution:
		return execution(base, d)
	case ReasonUserCode:
		return &UserCodeError{ExecutionError: *execution(base, d)}
	case ReasonDivergence:
		return &DivergenceError{ExecutionError: *execution(base, d), Detail: findDetail[errorsv1.DivergenceDetail](d)}
	case ReasonBackend:
		return &BackendError{BaseError: base}
	case ReasonUnauthenticated:
		return &AuthError{BaseError: base}
	case ReasonPermissionDenied:
		return &PermissionError{BaseError: base}
	case ReasonInternal:
		return &InternalError{BaseError: base}
	}
	return nil
}

func usage(base BaseError, d details) *UsageError {
	bad := findDetail[errdetails.BadRequest](d)
	var violations []FieldViolation
	for _, v := range bad.GetFieldViolations() {
		violations = append(violations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
	}
	return &UsageError{BaseError: base, Violations: violations, BadRequest: bad}
}

func state(base BaseError, d details) *StateError {
	return &StateError{
		BaseError:     base,
		Selector:      findDetail[errorsv1.SelectorResolution](d),
		State:         findDetail[errorsv1.ExecutionStateDetail](d),
		WaitSelection: findDetail[errorsv1.WaitSelection](d),
	}
}

func notFound(base BaseError, d details) *NotFoundError {
	r := findDetail[errdetails.ResourceInfo](d)
	return &NotFoundError{
		StateError:   *state(base, d),
		ResourceType: r.GetResourceType(),
		ResourceName: r.GetResourceName(),
		ResourceInfo: r,
	}
}

func execution(base BaseError, d details) *ExecutionError {
	st := findDetail[errorsv1.ExecutionStateDetail](d)
	return &ExecutionError{
		BaseError: base,
		ExecID:    st.GetExecId(),
		Status:    st.GetStatus(),
		Failure:   findDetail[runnerv1.Failure](d),
	}
}

// details are the google.rpc.Status.details of one status.
type details []*anypb.Any

// findDetail returns the first detail of type T, unpacked, or nil. A
// malformed detail is ignored, like a missing one.
func findDetail[T any, PT interface {
	*T
	proto.Message
}](d details) PT {
	for _, a := range d {
		m := PT(new(T))
		if !a.MessageIs(m) {
			continue
		}
		if err := a.UnmarshalTo(m); err == nil {
			return m
		}
	}
	return nil
}
