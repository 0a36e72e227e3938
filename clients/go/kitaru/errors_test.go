package kitaru_test

// Decoding rules of FromStatus / FromGRPCStatus, without a server: statuses
// are built with their details as a kitaru server sends them
// (proto/ts/src/errors/wire.ts), turned into gRPC errors, and decoded.

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	errorsv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/errors/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
	"github.com/kitaru-dev/kitaru/clients/go/kitaru"
)

func info(reason string, metadata map[string]string) *errdetails.ErrorInfo {
	return &errdetails.ErrorInfo{Reason: reason, Domain: kitaru.ErrorDomain, Metadata: metadata}
}

// grpcError is what a generated stub returns for a status with these details.
func grpcError(t *testing.T, code codes.Code, message string, details ...proto.Message) error {
	t.Helper()
	p := &spb.Status{Code: int32(code), Message: message}
	for _, d := range details {
		a, err := anypb.New(d)
		if err != nil {
			t.Fatalf("anypb.New(%T): %v", d, err)
		}
		p.Details = append(p.Details, a)
	}
	return status.FromProto(p).Err()
}

// decode runs FromStatus and checks the result is a KitaruError wrapping err.
func decode(t *testing.T, err error) kitaru.KitaruError {
	t.Helper()
	got := kitaru.FromStatus(err)
	k, ok := got.(kitaru.KitaruError)
	if !ok {
		t.Fatalf("FromStatus(%v) = %T, want a KitaruError", err, got)
	}
	if !errors.Is(got, err) {
		t.Errorf("FromStatus result does not unwrap to the gRPC error")
	}
	return k
}

func TestTypeComesFromDetailsNotMessage(t *testing.T) {
	// The message says "not found", the ErrorInfo says usage: the ErrorInfo wins.
	err := grpcError(t, codes.InvalidArgument, "Execution 'x' was not found.", info(kitaru.ReasonUsage, map[string]string{"k": "v"}))
	k := decode(t, err)
	if _, ok := k.(*kitaru.UsageError); !ok {
		t.Fatalf("got %T, want *kitaru.UsageError", k)
	}
	var nf *kitaru.NotFoundError
	if errors.As(k, &nf) {
		t.Errorf("a usage error must not match NotFoundError")
	}
	if k.Reason() != kitaru.ReasonUsage || k.Code() != codes.InvalidArgument {
		t.Errorf("reason, code = %s, %s", k.Reason(), k.Code())
	}
	if got := k.Base().Metadata; len(got) != 1 || got["k"] != "v" {
		t.Errorf("metadata = %v, want {k: v}", got)
	}
	if k.Base().Message != "Execution 'x' was not found." {
		t.Errorf("message = %q", k.Base().Message)
	}
}

func TestEveryReasonDecodesToItsType(t *testing.T) {
	cases := []struct {
		reason string
		code   codes.Code
		want   string // %T of the decoded error
	}{
		{kitaru.ReasonUsage, codes.InvalidArgument, "*kitaru.UsageError"},
		{kitaru.ReasonWaitValidation, codes.InvalidArgument, "*kitaru.WaitValidationError"},
		{kitaru.ReasonContext, codes.InvalidArgument, "*kitaru.ContextError"},
		{kitaru.ReasonState, codes.FailedPrecondition, "*kitaru.StateError"},
		{kitaru.ReasonNotFound, codes.NotFound, "*kitaru.NotFoundError"},
		{kitaru.ReasonExecution, codes.FailedPrecondition, "*kitaru.ExecutionError"},
		{kitaru.ReasonUserCode, codes.FailedPrecondition, "*kitaru.UserCodeError"},
		{kitaru.ReasonDivergence, codes.FailedPrecondition, "*kitaru.DivergenceError"},
		{kitaru.ReasonBackend, codes.Unavailable, "*kitaru.BackendError"},
		{kitaru.ReasonInternal, codes.Internal, "*kitaru.InternalError"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			// The same message every time: only the details differ.
			k := decode(t, grpcError(t, c.code, "something went wrong", info(c.reason, nil)))
			if got := fmt.Sprintf("%T", k); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if k.Reason() != c.reason || k.Code() != c.code {
				t.Errorf("reason, code = %s, %s", k.Reason(), k.Code())
			}
			if _, has := k.Base().Metadata["grpcCode"]; has {
				t.Errorf("a kitaru status must not get grpcCode metadata")
			}
			if status.Code(k) != c.code {
				t.Errorf("status.Code(kitaru error) = %s, want %s", status.Code(k), c.code)
			}
			var base *kitaru.BaseError
			if !errors.As(k, &base) || base != k.Base() {
				t.Errorf("errors.As(*BaseError) did not give the error's BaseError")
			}
		})
	}
}

func TestParentTypesMatchWithErrorsAs(t *testing.T) {
	type check struct {
		reason string
		code   codes.Code
		parent func(error) bool
	}
	as := func(target any) func(error) bool {
		return func(err error) bool { return errors.As(err, target) }
	}
	var (
		usage *kitaru.UsageError
		state *kitaru.StateError
		exec  *kitaru.ExecutionError
	)
	for _, c := range []check{
		{kitaru.ReasonWaitValidation, codes.InvalidArgument, as(&usage)},
		{kitaru.ReasonContext, codes.InvalidArgument, as(&usage)},
		{kitaru.ReasonNotFound, codes.NotFound, as(&state)},
		{kitaru.ReasonUserCode, codes.FailedPrecondition, as(&exec)},
		{kitaru.ReasonDivergence, codes.FailedPrecondition, as(&exec)},
	} {
		// Wrapped once more by the caller: errors.As still finds the parent.
		err := fmt.Errorf("calling the runner: %w", kitaru.FromStatus(grpcError(t, c.code, "m", info(c.reason, nil))))
		if !c.parent(err) {
			t.Errorf("%s: errors.As did not find the parent type", c.reason)
		}
		var k kitaru.KitaruError
		if !errors.As(err, &k) || k.Reason() != c.reason {
			t.Errorf("%s: errors.As(KitaruError) failed", c.reason)
		}
	}

	// Siblings and children do not match.
	notFound := kitaru.FromStatus(grpcError(t, codes.NotFound, "m", info(kitaru.ReasonNotFound, nil)))
	if errors.As(notFound, &usage) || errors.As(notFound, &exec) {
		t.Errorf("a NotFoundError matched UsageError or ExecutionError")
	}
	st := kitaru.FromStatus(grpcError(t, codes.FailedPrecondition, "m", info(kitaru.ReasonState, nil)))
	var nf *kitaru.NotFoundError
	if errors.As(st, &nf) {
		t.Errorf("a StateError matched NotFoundError")
	}
}

func TestNotFoundCarriesResourceAndIsAStateError(t *testing.T) {
	err := grpcError(t, codes.NotFound, "Execution 'kr-nope' was not found.",
		info(kitaru.ReasonNotFound, map[string]string{"execId": "kr-nope"}),
		&errdetails.ResourceInfo{ResourceType: "execution", ResourceName: "kr-nope", Description: "Execution 'kr-nope' was not found."},
	)
	var nf *kitaru.NotFoundError
	if !errors.As(kitaru.FromStatus(err), &nf) {
		t.Fatalf("not a NotFoundError")
	}
	if nf.ResourceType != "execution" || nf.ResourceName != "kr-nope" || nf.ResourceInfo == nil {
		t.Errorf("resource = %q %q %v", nf.ResourceType, nf.ResourceName, nf.ResourceInfo)
	}
	if nf.Metadata["execId"] != "kr-nope" {
		t.Errorf("metadata = %v", nf.Metadata)
	}
	var st *kitaru.StateError
	if !errors.As(nf, &st) || st != &nf.StateError {
		t.Fatalf("errors.As(*StateError) did not give the embedded StateError")
	}
	if st.Reason() != kitaru.ReasonNotFound || st.Message != nf.Message {
		t.Errorf("the StateError view differs: %s %q", st.Reason(), st.Message)
	}
}

func TestUsageErrorViolationsFromBadRequest(t *testing.T) {
	bad := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "topic", Description: "String must contain at least 1 character(s)"},
	}}
	k := decode(t, grpcError(t, codes.InvalidArgument, "m", info(kitaru.ReasonUsage, map[string]string{"flowName": "content_pipeline"}), bad))
	u := k.(*kitaru.UsageError)
	if len(u.Violations) != 1 || u.Violations[0].Field != "topic" || u.Violations[0].Description == "" {
		t.Errorf("violations = %+v", u.Violations)
	}
	if u.BadRequest == nil || len(u.BadRequest.GetFieldViolations()) != 1 {
		t.Errorf("BadRequest = %v", u.BadRequest)
	}
}

func TestWaitValidationDetailsBecomeFields(t *testing.T) {
	wv := &errorsv1.WaitValidation{
		ExecId: "kr-1", WaitName: "approval", WaitId: "w1",
		Violations: []*errorsv1.FieldViolation{{Field: "approved", Description: "expected boolean"}},
	}
	bad := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "approved", Description: "expected boolean"}}}
	k := decode(t, grpcError(t, codes.InvalidArgument, "m", info(kitaru.ReasonWaitValidation, nil), bad, wv))
	w, ok := k.(*kitaru.WaitValidationError)
	if !ok {
		t.Fatalf("got %T", k)
	}
	if w.ExecID != "kr-1" || w.WaitName != "approval" || w.WaitID != "w1" || w.WaitValidation == nil {
		t.Errorf("fields = %q %q %q", w.ExecID, w.WaitName, w.WaitID)
	}
	if len(w.Violations) != 1 || w.Violations[0] != (kitaru.FieldViolation{Field: "approved", Description: "expected boolean"}) {
		t.Errorf("violations = %+v", w.Violations)
	}
	var u *kitaru.UsageError
	if !errors.As(w, &u) || u != &w.UsageError || len(u.Violations) != 1 {
		t.Errorf("the UsageError view is wrong: %+v", u)
	}
}

func TestStateDetailsBecomeFields(t *testing.T) {
	k := decode(t, grpcError(t, codes.FailedPrecondition, "m",
		info(kitaru.ReasonState, nil),
		&errorsv1.SelectorResolution{Selector: "reserch", Source: "from", AvailableNames: []string{"publish", "research"}},
		&errorsv1.ExecutionStateDetail{ExecId: "kr-3", Status: "completed", Operation: "input"},
		&errorsv1.WaitSelection{ExecId: "kr-3", Selector: "approval", AvailableWaitNames: []string{"review"}},
	))
	st := k.(*kitaru.StateError)
	if st.Selector.GetSelector() != "reserch" || len(st.Selector.GetAvailableNames()) != 2 {
		t.Errorf("selector = %v", st.Selector)
	}
	if st.State.GetExecId() != "kr-3" || st.State.GetStatus() != "completed" || st.State.GetOperation() != "input" {
		t.Errorf("state = %v", st.State)
	}
	if st.WaitSelection.GetAvailableWaitNames()[0] != "review" {
		t.Errorf("wait selection = %v", st.WaitSelection)
	}
	// Absent details stay nil.
	bare := decode(t, grpcError(t, codes.FailedPrecondition, "m", info(kitaru.ReasonState, nil))).(*kitaru.StateError)
	if bare.Selector != nil || bare.State != nil || bare.WaitSelection != nil {
		t.Errorf("absent details are not nil: %+v", bare)
	}
}

func TestExecutionAndDivergenceDetailsBecomeFields(t *testing.T) {
	detail := &errorsv1.DivergenceDetail{
		ExecId: "kr-2", SourceExecId: "kr-1", InvocationId: "publish",
		Kind: errorsv1.DivergenceKind_DIVERGENCE_KIND_ORDER_CHANGED, Recorded: "after write_draft", Seen: "before write_draft",
	}
	failure := &runnerv1.Failure{Origin: runnerv1.FailureOrigin_FAILURE_ORIGIN_DIVERGENCE, Message: "diverged", InvocationId: "publish", Divergence: detail}
	k := decode(t, grpcError(t, codes.FailedPrecondition, "m",
		info(kitaru.ReasonDivergence, map[string]string{"invocationId": "publish"}),
		&errorsv1.ExecutionStateDetail{ExecId: "kr-2", Status: "failed"}, failure, detail))
	d, ok := k.(*kitaru.DivergenceError)
	if !ok {
		t.Fatalf("got %T", k)
	}
	if d.ExecID != "kr-2" || d.Status != "failed" {
		t.Errorf("exec = %q %q", d.ExecID, d.Status)
	}
	if d.Detail.GetInvocationId() != "publish" || d.Detail.GetKind() != errorsv1.DivergenceKind_DIVERGENCE_KIND_ORDER_CHANGED {
		t.Errorf("detail = %v", d.Detail)
	}
	if d.Failure.GetOrigin() != runnerv1.FailureOrigin_FAILURE_ORIGIN_DIVERGENCE || d.Failure.GetDivergence().GetSeen() != "before write_draft" {
		t.Errorf("failure = %v", d.Failure)
	}
	var ex *kitaru.ExecutionError
	if !errors.As(d, &ex) || ex.ExecID != "kr-2" {
		t.Errorf("the ExecutionError view is wrong")
	}

	u := decode(t, grpcError(t, codes.FailedPrecondition, "m", info(kitaru.ReasonUserCode, nil),
		&errorsv1.ExecutionStateDetail{ExecId: "kr-4", Status: "failed"},
		&runnerv1.Failure{Origin: runnerv1.FailureOrigin_FAILURE_ORIGIN_USER_CODE, ExceptionType: "TypeError", InvocationId: "research"},
	)).(*kitaru.UserCodeError)
	if u.ExecID != "kr-4" || u.Failure.GetExceptionType() != "TypeError" || u.Failure.GetInvocationId() != "research" {
		t.Errorf("user code error = %+v", u)
	}
}

func TestAResumeDivergenceNamesBothVersionsAndTheReplayThatContinuesIt(t *testing.T) {
	for _, kind := range []errorsv1.DivergenceKind{errorsv1.DivergenceKind_DIVERGENCE_KIND_CALL_REPLACED, errorsv1.DivergenceKind_DIVERGENCE_KIND_WAIT_CHANGED} {
		detail := &errorsv1.DivergenceDetail{
			ExecId: "kr-3", SourceExecId: "kr-3", InvocationId: "write_draft", Kind: kind,
			RecordedFlowVersion: "v1", FlowVersion: "v2",
			ReplayCommand: "kitaru executions replay kr-3 --from write_draft", ReplayFrom: "write_draft",
		}
		k := decode(t, grpcError(t, codes.FailedPrecondition, "m", info(kitaru.ReasonDivergence, nil),
			&errorsv1.ExecutionStateDetail{ExecId: "kr-3", Status: "failed"}, detail))
		d, ok := k.(*kitaru.DivergenceError)
		if !ok {
			t.Fatalf("got %T", k)
		}
		if d.Detail.GetKind() != kind || d.Detail.GetRecordedFlowVersion() != "v1" || d.Detail.GetFlowVersion() != "v2" ||
			d.Detail.GetReplayCommand() != "kitaru executions replay kr-3 --from write_draft" || d.Detail.GetReplayFrom() != "write_draft" {
			t.Errorf("detail = %v", d.Detail)
		}
	}
}

func TestWithoutKitaruDetailsTheCodeDecides(t *testing.T) {
	cases := []struct {
		code     codes.Code
		want     string
		reason   string
		grpcCode string
	}{
		{codes.Unavailable, "*kitaru.BackendError", kitaru.ReasonBackend, "UNAVAILABLE"},
		{codes.DeadlineExceeded, "*kitaru.BackendError", kitaru.ReasonBackend, "DEADLINE_EXCEEDED"},
		{codes.Aborted, "*kitaru.BackendError", kitaru.ReasonBackend, "ABORTED"},
		{codes.PermissionDenied, "*kitaru.PermissionError", kitaru.ReasonPermissionDenied, "PERMISSION_DENIED"},
		{codes.Unauthenticated, "*kitaru.AuthError", kitaru.ReasonUnauthenticated, "UNAUTHENTICATED"},
		{codes.ResourceExhausted, "*kitaru.UsageError", kitaru.ReasonUsage, "RESOURCE_EXHAUSTED"},
		{codes.InvalidArgument, "*kitaru.UsageError", kitaru.ReasonUsage, "INVALID_ARGUMENT"},
		{codes.NotFound, "*kitaru.NotFoundError", kitaru.ReasonNotFound, "NOT_FOUND"},
		{codes.FailedPrecondition, "*kitaru.StateError", kitaru.ReasonState, "FAILED_PRECONDITION"},
		{codes.Internal, "*kitaru.InternalError", kitaru.ReasonInternal, "INTERNAL"},
		{codes.Unknown, "*kitaru.InternalError", kitaru.ReasonInternal, "UNKNOWN"},
		{codes.Unimplemented, "*kitaru.InternalError", kitaru.ReasonInternal, "UNIMPLEMENTED"},
		{codes.DataLoss, "*kitaru.InternalError", kitaru.ReasonInternal, "DATA_LOSS"},
	}
	for _, c := range cases {
		k := decode(t, status.Error(c.code, "connection refused"))
		if got := fmt.Sprintf("%T", k); got != c.want || k.Reason() != c.reason {
			t.Errorf("%s: got %s (%s), want %s (%s)", c.code, got, k.Reason(), c.want, c.reason)
		}
		if got := k.Base().Metadata; len(got) != 1 || got["grpcCode"] != c.grpcCode {
			t.Errorf("%s: metadata = %v, want {grpcCode: %s}", c.code, got, c.grpcCode)
		}
	}
}

func TestForeignDomainAndUnknownReasonAreNotTrusted(t *testing.T) {
	foreign := &errdetails.ErrorInfo{Reason: kitaru.ReasonUsage, Domain: "example.com"}
	k := decode(t, grpcError(t, codes.Internal, "m", foreign))
	if _, ok := k.(*kitaru.InternalError); !ok || k.Base().Metadata["grpcCode"] != "INTERNAL" {
		t.Errorf("foreign domain: got %T %v", k, k.Base().Metadata)
	}
	// A reason from a newer server: the code decides, the metadata is kept.
	k = decode(t, grpcError(t, codes.FailedPrecondition, "m", info("KITARU_SOMETHING_NEW", map[string]string{"execId": "kr-5"})))
	if _, ok := k.(*kitaru.StateError); !ok || k.Base().Metadata["execId"] != "kr-5" || k.Base().Metadata["grpcCode"] != "FAILED_PRECONDITION" {
		t.Errorf("unknown reason: got %T %v", k, k.Base().Metadata)
	}
}

func TestMalformedDetailIsIgnored(t *testing.T) {
	p := &spb.Status{Code: int32(codes.NotFound), Message: "m"}
	i, _ := anypb.New(info(kitaru.ReasonNotFound, nil))
	// A ResourceInfo whose bytes do not decode (truncated length-delimited field).
	broken := &anypb.Any{TypeUrl: "type.googleapis.com/google.rpc.ResourceInfo", Value: []byte{0x12, 0x05, 'k'}}
	good, _ := anypb.New(&errdetails.ResourceInfo{ResourceType: "flow", ResourceName: "no_such_flow"})
	p.Details = []*anypb.Any{i, broken, good}
	nf, ok := kitaru.FromGRPCStatus(status.FromProto(p)).(*kitaru.NotFoundError)
	if !ok || nf.ResourceType != "flow" || nf.ResourceName != "no_such_flow" {
		t.Errorf("got %+v", nf)
	}
}

func TestFromStatusEdgeCases(t *testing.T) {
	if kitaru.FromStatus(nil) != nil {
		t.Errorf("FromStatus(nil) != nil")
	}
	if kitaru.FromGRPCStatus(status.New(codes.OK, "")) != nil {
		t.Errorf("FromGRPCStatus(OK) != nil")
	}
	plain := errors.New("not a gRPC error")
	if kitaru.FromStatus(plain) != plain {
		t.Errorf("a non-gRPC error must be returned unchanged")
	}
	// Idempotent: a kitaru error (even wrapped) is returned as is.
	k := kitaru.FromStatus(grpcError(t, codes.NotFound, "m", info(kitaru.ReasonNotFound, nil)))
	if kitaru.FromStatus(k) != k {
		t.Errorf("FromStatus(kitaru error) is not the same error")
	}
	wrapped := fmt.Errorf("wrapped: %w", k)
	if kitaru.FromStatus(wrapped) != wrapped {
		t.Errorf("FromStatus(wrapped kitaru error) is not the same error")
	}
	// A gRPC error wrapped by the caller still decodes.
	var nf *kitaru.NotFoundError
	if !errors.As(kitaru.FromStatus(fmt.Errorf("ctx: %w", grpcError(t, codes.NotFound, "m", info(kitaru.ReasonNotFound, nil)))), &nf) {
		t.Errorf("a wrapped gRPC error did not decode")
	}
	// The status (details included) survives on the kitaru error.
	if s, ok := status.FromError(k); !ok || len(s.Proto().GetDetails()) != 1 || s.Code() != codes.NotFound {
		t.Errorf("status.FromError(kitaru error) = %v, %v", s, ok)
	}
	if got := k.Error(); got != "KITARU_NOT_FOUND: m" {
		t.Errorf("Error() = %q", got)
	}
}
