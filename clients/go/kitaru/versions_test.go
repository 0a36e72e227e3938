package kitaru_test

// Flow versions, version holds, every wait of the full view and Verify,
// against an in-process fake RunnerService: what each new wire field becomes
// in the plain results, and how Verify pages a filter.

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	errorsv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/errors/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
	"github.com/kitaru-dev/kitaru/clients/go/kitaru"
)

var (
	ranAt  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	heldAt = time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)
)

// replacedDraft is the divergence of a resume by v2, whose code renamed write_draft.
func replacedDraft() *errorsv1.DivergenceDetail {
	return &errorsv1.DivergenceDetail{
		ExecId: "kr-held", SourceExecId: "kr-held", InvocationId: "write_draft",
		Kind:     errorsv1.DivergenceKind_DIVERGENCE_KIND_CALL_REPLACED,
		Recorded: "checkpoint 'write_draft'", Seen: "checkpoint 'write_draft_v2'",
		RecordedFlowVersion: "v1", FlowVersion: "v2",
		ReplayCommand: "kitaru executions replay kr-held --from write_draft", ReplayFrom: "write_draft",
	}
}

// wantDivergence is replacedDraft as the plain struct.
var wantDivergence = kitaru.Divergence{
	ExecID: "kr-held", SourceExecID: "kr-held", InvocationID: "write_draft",
	Kind:     kitaru.DivergenceCallReplaced,
	Recorded: "checkpoint 'write_draft'", Seen: "checkpoint 'write_draft_v2'",
	RecordedFlowVersion: "v1", FlowVersion: "v2",
	ReplayCommand: "kitaru executions replay kr-held --from write_draft", ReplayFrom: "write_draft",
}

// versionedRunner serves one held execution (the answer of its first wait
// left out of the response), two flows of version v2, and five verifiable
// executions in pages of at most two.
type versionedRunner struct {
	runnerv1.UnimplementedRunnerServiceServer
	mu      sync.Mutex
	verifys []*runnerv1.VerifyExecutionsRequest
}

func (f *versionedRunner) GetExecution(context.Context, *runnerv1.GetExecutionRequest) (*runnerv1.GetExecutionResponse, error) {
	hold := &runnerv1.VersionHold{RequiredFlowVersion: "v1", Divergence: replacedDraft(), CreateTime: timestamppb.New(heldAt)}
	execution := &runnerv1.Execution{
		ExecId: "kr-held", FlowName: "article", Status: runnerv1.ExecutionStatus_EXECUTION_STATUS_RUNNING,
		FlowVersion:     "v1",
		FlowVersionRuns: []*runnerv1.FlowVersionRun{{FlowVersion: "v1", StartTime: timestamppb.New(ranAt)}},
		VersionHold:     hold,
		Waits: []*runnerv1.Wait{
			{WaitId: "w1", Name: "approve", ExecId: "kr-held", Status: runnerv1.WaitStatus_WAIT_STATUS_RESOLVED},
			{WaitId: "w2", Name: "approve_2", ExecId: "kr-held", Status: runnerv1.WaitStatus_WAIT_STATUS_RESOLVED, Value: structpb.NewStringValue("fits")},
		},
		OmittedValues: []*runnerv1.OmittedValue{{Path: "waits/approve/value", Bytes: 20}},
	}
	return &runnerv1.GetExecutionResponse{Execution: execution}, nil
}

func (f *versionedRunner) ReadExecutionValue(req *runnerv1.ReadExecutionValueRequest, stream grpc.ServerStreamingServer[runnerv1.ReadExecutionValueResponse]) error {
	if req.GetPath() != "waits/approve/value" {
		return status.Error(codes.NotFound, req.GetPath())
	}
	text, _ := json.Marshal(map[string]any{"approved": true, "reviewer": "ada"})
	return stream.Send(&runnerv1.ReadExecutionValueResponse{Chunk: text, TotalBytes: uint64(len(text))})
}

func (f *versionedRunner) ListFlows(context.Context, *runnerv1.ListFlowsRequest) (*runnerv1.ListFlowsResponse, error) {
	return &runnerv1.ListFlowsResponse{Flows: []*runnerv1.Flow{{FlowName: "article"}, {FlowName: "gated"}}, FlowVersion: "v2"}, nil
}

func (f *versionedRunner) VerifyExecutions(_ context.Context, req *runnerv1.VerifyExecutionsRequest) (*runnerv1.VerifyExecutionsResponse, error) {
	f.mu.Lock()
	f.verifys = append(f.verifys, req)
	f.mu.Unlock()
	if len(req.GetExecIds()) > 0 {
		diverged := &runnerv1.ExecutionVerification{
			ExecId: req.GetExecIds()[0], FlowName: "article", Status: runnerv1.ExecutionStatus_EXECUTION_STATUS_WAITING,
			Verdict: runnerv1.VerificationVerdict_VERIFICATION_VERDICT_DIVERGED, Divergence: replacedDraft(),
			Outcome: "diverges at 'write_draft'", MatchedCalls: 1, RecordedCalls: 2,
		}
		newer := &runnerv1.ExecutionVerification{ExecId: "kr-newer", Verdict: runnerv1.VerificationVerdict(99)}
		return &runnerv1.VerifyExecutionsResponse{FlowVersion: "v2", Results: []*runnerv1.ExecutionVerification{diverged, newer}}, nil
	}
	start, _ := strconv.Atoi(req.GetPageToken())
	end := min(start+min(int(req.GetPageSize()), 2), 5)
	res := &runnerv1.VerifyExecutionsResponse{FlowVersion: "v2"}
	for n := start; n < end; n++ {
		res.Results = append(res.Results, &runnerv1.ExecutionVerification{
			ExecId: "kr-" + strconv.Itoa(n), FlowName: "article", Status: runnerv1.ExecutionStatus_EXECUTION_STATUS_WAITING,
			RecordedFlowVersion: "v1", Verdict: runnerv1.VerificationVerdict_VERIFICATION_VERDICT_COMPATIBLE,
			Outcome: "would wait at 'approve'", MatchedCalls: 2, RecordedCalls: 2,
		})
	}
	if end < 5 {
		res.NextPageToken = strconv.Itoa(end)
	}
	return res, nil
}

// pages is what the Verify requests by filter asked for: "size@token" each.
func (f *versionedRunner) pages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.verifys {
		if len(r.GetExecIds()) == 0 {
			out = append(out, strconv.Itoa(int(r.GetPageSize()))+"@"+r.GetPageToken())
		}
	}
	f.verifys = nil
	return out
}

func versionedClient(t *testing.T) (*versionedRunner, *kitaru.Client) {
	t.Helper()
	clearEnv(t)
	fake := &versionedRunner{}
	address := serveWith(t, func(server *grpc.Server) { runnerv1.RegisterRunnerServiceServer(server, fake) })
	return fake, newClient(t, kitaru.Options{RunnerURL: "http://" + address, PlannerURL: "http://" + address})
}

func TestAHeldExecutionWithItsVersionsRunsAndEveryWait(t *testing.T) {
	_, c := versionedClient(t)
	e, err := c.Executions.Get(context.Background(), "kr-held")
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != kitaru.StatusRunning || e.FlowVersion != "v1" {
		t.Errorf("execution = %s %q", e.Status, e.FlowVersion)
	}
	if want := []kitaru.FlowVersionRun{{FlowVersion: "v1", StartedAt: ranAt}}; !reflect.DeepEqual(e.FlowVersionRuns, want) {
		t.Errorf("runs = %+v", e.FlowVersionRuns)
	}
	if e.VersionHold == nil || e.VersionHold.RequiredFlowVersion != "v1" || !e.VersionHold.CreatedAt.Equal(heldAt) ||
		e.VersionHold.Divergence == nil || !reflect.DeepEqual(*e.VersionHold.Divergence, wantDivergence) {
		t.Errorf("hold = %+v", e.VersionHold)
	}
	// The answer the response left out (waits/approve/value) is read and put in its wait.
	if len(e.Waits) != 2 || e.Waits[0].Status != kitaru.WaitResolved ||
		!reflect.DeepEqual(e.Waits[0].Value, map[string]any{"approved": true, "reviewer": "ada"}) || e.Waits[1].Value != "fits" {
		t.Errorf("waits = %+v", e.Waits)
	}
	if len(e.OmittedValues) != 0 {
		t.Errorf("omitted values left = %v", e.OmittedValues)
	}
}

func TestFlowsCarryTheRunnersFlowVersion(t *testing.T) {
	_, c := versionedClient(t)
	flows, err := c.Flows.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(flows) != 2 || flows[0].FlowVersion != "v2" || flows[1].FlowVersion != "v2" {
		t.Errorf("flows = %+v", flows)
	}
}

func TestVerifyByIDsGivesTypedResults(t *testing.T) {
	_, c := versionedClient(t)
	res, err := c.Executions.Verify(context.Background(), kitaru.VerifyOptions{ExecIDs: []string{"kr-held"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.FlowVersion != "v2" || len(res.Results) != 2 {
		t.Fatalf("result = %+v", res)
	}
	diverged := res.Results[0]
	if diverged.ExecID != "kr-held" || diverged.Verdict != kitaru.VerdictDiverged || diverged.Status != kitaru.StatusWaiting ||
		diverged.Outcome != "diverges at 'write_draft'" || diverged.MatchedCalls != 1 || diverged.RecordedCalls != 2 ||
		diverged.Divergence == nil || !reflect.DeepEqual(*diverged.Divergence, wantDivergence) {
		t.Errorf("diverged = %+v", diverged)
	}
	// A verdict this client does not know (a newer server) reads as not checked.
	if res.Results[1].Verdict != kitaru.VerdictSkipped {
		t.Errorf("unknown verdict = %q", res.Results[1].Verdict)
	}
}

func TestVerifyByFilterPagesUpToTheLimit(t *testing.T) {
	fake, c := versionedClient(t)
	ctx := context.Background()
	res, err := c.Executions.Verify(ctx, kitaru.VerifyOptions{Filter: kitaru.Filter{Flow: "article", Status: kitaru.StatusWaiting}, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(res.Results))
	for _, r := range res.Results {
		ids = append(ids, r.ExecID)
		if r.Verdict != kitaru.VerdictCompatible || r.RecordedFlowVersion != "v1" || r.Divergence != nil {
			t.Errorf("result = %+v", r)
		}
	}
	if !slices.Equal(ids, []string{"kr-0", "kr-1", "kr-2"}) || res.FlowVersion != "v2" {
		t.Errorf("ids = %v, version %q", ids, res.FlowVersion)
	}
	if pages := fake.pages(); !slices.Equal(pages, []string{"3@", "1@2"}) {
		t.Errorf("pages = %v", pages)
	}
	// The default limit (20) is more than the 5 there are: every page is read, asking for what is still wanted.
	all, err := c.Executions.Verify(ctx, kitaru.VerifyOptions{})
	if err != nil || len(all.Results) != 5 {
		t.Fatalf("all = %+v, %v", all, err)
	}
	if pages := fake.pages(); !slices.Equal(pages, []string{"20@", "18@2", "16@4"}) {
		t.Errorf("pages = %v", pages)
	}
	two, err := c.Executions.Verify(ctx, kitaru.VerifyOptions{Limit: 2})
	if err != nil || len(two.Results) != 2 {
		t.Fatalf("two = %+v, %v", two, err)
	}

	var u *kitaru.UsageError
	for _, opts := range []kitaru.VerifyOptions{
		{Limit: -1},
		{Filter: kitaru.Filter{Status: "done"}},
		{ExecIDs: []string{"kr-1"}, Filter: kitaru.Filter{Flow: "article"}},
	} {
		if _, err := c.Executions.Verify(ctx, opts); !errors.As(err, &u) {
			t.Errorf("Verify(%+v) = %v, want a *UsageError", opts, err)
		}
	}
}
