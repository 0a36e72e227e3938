package livetest

// kitaru.Client against the live runner and planner (KITARU_RUNNER_URL,
// KITARU_PLANNER_URL): every method of Executions and Flows, and the lower
// layer's planner calls. The flows are registered by
// test/clients/go-client.test.ts: content_pipeline, approval, chatty,
// always_flaky, sleeping, fails_once, ordered.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	plannerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/planner/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
	"github.com/kitaru-dev/kitaru/clients/go/kitaru"
)

func live(t *testing.T) (*kitaru.Client, context.Context) {
	t.Helper()
	if os.Getenv("KITARU_RUNNER_URL") == "" || os.Getenv("KITARU_PLANNER_URL") == "" {
		t.Skip("KITARU_RUNNER_URL / KITARU_PLANNER_URL are not set (no live services)")
	}
	c, err := kitaru.NewClient(kitaru.Options{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c, ctx
}

// settle polls Get until the execution is terminal or waiting with a pending wait (a wait may be
// recorded a moment before the status says waiting).
func settle(t *testing.T, c *kitaru.Client, ctx context.Context, execID string) *kitaru.Execution {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		e, err := c.Executions.Get(ctx, execID)
		if err != nil {
			t.Fatalf("Get(%s): %v", execID, err)
		}
		if e.Status.Terminal() || (e.Status == kitaru.StatusWaiting && len(e.PendingWaits) > 0) || time.Now().After(deadline) {
			return e
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func run(t *testing.T, c *kitaru.Client, ctx context.Context, flow string, input map[string]any, opts ...kitaru.StartOption) *kitaru.Execution {
	t.Helper()
	e, err := c.Flows.Run(ctx, flow, input, opts...)
	if err != nil {
		t.Fatalf("Run(%s): %v", flow, err)
	}
	return e
}

func invocationIDs[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, item := range items {
		out = append(out, id(item))
	}
	return out
}

func planned(c kitaru.PlannedCall) string   { return c.InvocationID }
func called(c kitaru.CheckpointCall) string { return c.InvocationID }
func execID(e *kitaru.Execution) string     { return e.ExecID }

// must(f()).ok(t) is f's value, or ends the test with f's error.
func must[T any](v T, err error) checked[T] { return checked[T]{v, err} }

type checked[T any] struct {
	v   T
	err error
}

func (c checked[T]) ok(t *testing.T) T {
	t.Helper()
	if c.err != nil {
		t.Fatal(c.err)
	}
	return c.v
}

func TestLiveClientRunGetAndPlainResults(t *testing.T) {
	c, ctx := live(t)
	started := run(t, c, ctx, "content_pipeline", map[string]any{"topic": "plain results"})
	if !strings.HasPrefix(started.ExecID, "kr-") || started.FlowName != "content_pipeline" || started.Input["topic"] != "plain results" {
		t.Fatalf("started = %+v", started)
	}
	done := settle(t, c, ctx, started.ExecID)
	if done.Status != kitaru.StatusCompleted || done.Result != "published: draft about plain results from [notes on plain results]" {
		t.Fatalf("done = %s %v", done.Status, done.Result)
	}
	if done.OriginalExecID != "" || done.Failure != nil || done.CheckpointCount != 3 || done.StartedAt.IsZero() || done.EndedAt.Before(done.StartedAt) {
		t.Errorf("done = %+v", done)
	}
	if got := invocationIDs(done.Checkpoints, called); !slices.Equal(got, []string{"research", "write_draft", "publish"}) {
		t.Errorf("checkpoints = %v", got)
	}
	research := done.Checkpoints[0]
	if research.Status != kitaru.CheckpointCompleted || research.AttemptCount != 1 || len(research.Attempts) != 1 || research.Output != "notes on plain results" {
		t.Errorf("research = %+v", research)
	}
	if !slices.Equal(done.Checkpoints[1].DataDependencies, []string{"research"}) {
		t.Errorf("write_draft dependencies = %v", done.Checkpoints[1].DataDependencies)
	}
}

func TestLiveClientRunIsIdempotentOnItsRequestID(t *testing.T) {
	c, ctx := live(t)
	id := kitaru.NewRequestID()
	first := run(t, c, ctx, "content_pipeline", map[string]any{"topic": "once"}, kitaru.WithRequestID(id))
	second := run(t, c, ctx, "content_pipeline", map[string]any{"topic": "once"}, kitaru.WithRequestID(id))
	if first.ExecID != second.ExecID {
		t.Errorf("one request ID, two executions: %s %s", first.ExecID, second.ExecID)
	}
	if a, b := run(t, c, ctx, "content_pipeline", map[string]any{"topic": "a"}), run(t, c, ctx, "content_pipeline", map[string]any{"topic": "a"}); a.ExecID == b.ExecID {
		t.Errorf("two runs without an ID gave one execution")
	}
}

func TestLiveClientExecuteRunsToTheEndInOneCall(t *testing.T) {
	c, ctx := live(t)
	if result := must(c.Flows.Execute(ctx, "content_pipeline", map[string]any{"topic": "executed"})).ok(t); result != "published: draft about executed from [notes on executed]" {
		t.Errorf("Execute = %v", result)
	}
	id := kitaru.NewRequestID()
	first := must(c.Flows.Execute(ctx, "content_pipeline", map[string]any{"topic": "go executed once"}, kitaru.WithRequestID(id))).ok(t)
	again := must(c.Flows.Execute(ctx, "content_pipeline", map[string]any{"topic": "go executed once"}, kitaru.WithRequestID(id))).ok(t)
	if first != again {
		t.Errorf("one request ID, two results: %v %v", first, again)
	}
	executions := must(c.Executions.List(ctx, kitaru.ListOptions{Filter: kitaru.Filter{Flow: "content_pipeline"}, Limit: 200})).ok(t)
	same := 0
	for _, e := range executions {
		if e.Input["topic"] == "go executed once" {
			same++
		}
	}
	if same != 1 {
		t.Errorf("one request ID started %d executions", same)
	}
	var pending *kitaru.PendingWaitError
	if _, err := c.Flows.Execute(ctx, "approval", map[string]any{"topic": "go executed wait"}); !errors.As(err, &pending) {
		t.Errorf("Execute of a flow that waits = %v", err)
	}
	var uc *kitaru.UserCodeError
	if _, err := c.Flows.Execute(ctx, "fails_once", map[string]any{"label": "go-execute-" + kitaru.NewRequestID()[:8]}); !errors.As(err, &uc) {
		t.Errorf("Execute of a failing flow = %v", err)
	}
	var usage *kitaru.UsageError
	if _, err := c.Flows.Execute(ctx, "content_pipeline", map[string]any{"topic": 42}); !errors.As(err, &usage) {
		t.Errorf("Execute with invalid input = %v", err)
	}
}

func TestLiveClientFlowsList(t *testing.T) {
	c, ctx := live(t)
	flows := must(c.Flows.List(ctx)).ok(t)
	names := invocationIDs(flows, func(f kitaru.Flow) string { return f.Name })
	for _, want := range []string{"approval", "content_pipeline", "ordered"} {
		if !slices.Contains(names, want) {
			t.Errorf("flows = %v, missing %s", names, want)
		}
	}
	i := slices.Index(names, "content_pipeline")
	if props, _ := flows[i].InputSchema["properties"].(map[string]any); props["topic"] == nil {
		t.Errorf("content_pipeline schema = %v", flows[i].InputSchema)
	}
}

func TestLiveClientListLatestPagingAndFilters(t *testing.T) {
	c, ctx := live(t)
	// One after the other, so that their creation times differ (the order of equal times is arbitrary).
	var ids []string
	for i := range 3 {
		ids = append(ids, settle(t, c, ctx, run(t, c, ctx, "chatty", map[string]any{"label": fmt.Sprintf("go-list-%d", i)}).ExecID).ExecID)
	}
	newest := must(c.Executions.List(ctx, kitaru.ListOptions{Filter: kitaru.Filter{Flow: "chatty"}, Limit: 2})).ok(t)
	if got := invocationIDs(newest, execID); !slices.Equal(got, []string{ids[2], ids[1]}) {
		t.Errorf("newest two = %v, want %v", got, []string{ids[2], ids[1]})
	}
	if len(newest[0].Checkpoints) != 0 || newest[0].CheckpointCount != 2 {
		t.Errorf("List must leave checkpoints out: %+v", newest[0])
	}
	page2 := must(c.Executions.List(ctx, kitaru.ListOptions{Filter: kitaru.Filter{Flow: "chatty"}, Page: 2, Size: 1})).ok(t)
	if got := invocationIDs(page2, execID); !slices.Equal(got, []string{ids[1]}) {
		t.Errorf("page 2 of size 1 = %v", got)
	}
	completed := must(c.Executions.List(ctx, kitaru.ListOptions{Filter: kitaru.Filter{Flow: "chatty", Status: kitaru.StatusCompleted}})).ok(t)
	for _, e := range completed {
		if e.Status != kitaru.StatusCompleted {
			t.Errorf("status filter let %s through", e.Status)
		}
	}
	latest := must(c.Executions.Latest(ctx, kitaru.Filter{Flow: "chatty", Status: kitaru.StatusCompleted})).ok(t)
	if latest.ExecID != ids[2] || len(latest.Checkpoints) != 2 {
		t.Errorf("latest = %s with %d checkpoints", latest.ExecID, len(latest.Checkpoints))
	}

	var u *kitaru.UsageError
	for _, opts := range []kitaru.ListOptions{{Filter: kitaru.Filter{Status: "done"}}, {Limit: -1}, {Page: 2}, {Limit: 1, Size: 2}} {
		if _, err := c.Executions.List(ctx, opts); !errors.As(err, &u) {
			t.Errorf("List(%+v) = %v, want a *UsageError", opts, err)
		}
	}
	_, err := c.Executions.Latest(ctx, kitaru.Filter{Flow: "no_such_flow_anywhere"})
	var nf *kitaru.NotFoundError
	if !errors.As(err, &nf) || nf.Message != "No executions found for flow='no_such_flow_anywhere'." {
		t.Errorf("Latest of nothing = %v", err)
	}
}

func TestLiveClientReplayWithOverridesAndPlan(t *testing.T) {
	c, ctx := live(t)
	source := settle(t, c, ctx, run(t, c, ctx, "content_pipeline", map[string]any{"topic": "agents"}).ExecID)
	opts := kitaru.ReplayOptions{
		From:      "write_draft",
		Args:      map[string]any{"topic": "new topic"},
		Overrides: map[string]any{"checkpoint.research": "edited notes"},
		RequestID: kitaru.NewRequestID(),
	}
	plan := must(c.Executions.Plan(ctx, source.ExecID, opts)).ok(t)
	if plan.SourceExecID != source.ExecID || plan.From != "write_draft" || plan.FromCall == nil || plan.FromCall.InvocationID != "write_draft" {
		t.Errorf("plan = %+v", plan)
	}
	if !slices.Equal(invocationIDs(plan.Reuse, planned), []string{"research"}) ||
		!slices.Equal(invocationIDs(plan.Reexecute, planned), []string{"write_draft", "publish"}) ||
		!slices.Equal(invocationIDs(plan.Roots, planned), []string{"write_draft"}) {
		t.Errorf("plan reuse %v reexecute %v roots %v", plan.Reuse, plan.Reexecute, plan.Roots)
	}
	if len(plan.Overrides) != 1 || plan.Overrides[0].Key != "checkpoint.research" || plan.Overrides[0].Value != "edited notes" ||
		plan.Overrides[0].Target.InvocationID != "research" || !slices.Equal(plan.Overrides[0].Consumers, []string{"write_draft"}) {
		t.Errorf("plan overrides = %+v", plan.Overrides)
	}
	if plan.Input["topic"] != "new topic" {
		t.Errorf("plan input = %v", plan.Input)
	}

	replayed := must(c.Executions.Replay(ctx, source.ExecID, opts)).ok(t)
	if replayed.OriginalExecID != source.ExecID || replayed.Replay == nil || replayed.Replay.From != "write_draft" {
		t.Errorf("replayed = %+v", replayed)
	}
	if again := must(c.Executions.Replay(ctx, source.ExecID, opts)).ok(t); again.ExecID != replayed.ExecID {
		t.Errorf("one request ID, two replays: %s %s", replayed.ExecID, again.ExecID)
	}
	if result := must(c.Executions.Result(ctx, replayed.ExecID)).ok(t); result != "published: draft about new topic from [edited notes]" {
		t.Errorf("result = %v", result)
	}
	research := must(c.Executions.Get(ctx, replayed.ExecID)).ok(t).Checkpoints[0]
	if research.Status != kitaru.CheckpointReused || research.OriginalCallID() != source.Checkpoints[0].CallID ||
		!research.Overridden || research.OverrideValue != "edited notes" || research.Output != "notes on agents" {
		t.Errorf("reused research = %+v", research)
	}

	_, err := c.Executions.Plan(ctx, source.ExecID, kitaru.ReplayOptions{From: "no_such_checkpoint"})
	var st *kitaru.StateError
	if !errors.As(err, &st) || st.Selector == nil || strings.Join(st.Selector.GetAvailableNames(), ",") != "publish,research,write_draft" {
		t.Errorf("unknown selector = %v", err)
	}
	var u *kitaru.UsageError
	if _, err := c.Executions.Replay(ctx, source.ExecID, kitaru.ReplayOptions{From: "research", Overrides: map[string]any{"wait.approve": true}}); !errors.As(err, &u) {
		t.Errorf("a wait override = %v, want *UsageError", err)
	}
	// An override of another type than the recorded output (a string) is refused, unless allowed.
	misfit := kitaru.ReplayOptions{From: "publish", Overrides: map[string]any{"checkpoint.write_draft": 42}}
	if _, err := c.Executions.Plan(ctx, source.ExecID, misfit); !errors.As(err, &u) || u.Metadata["expected"] != "string" || u.Metadata["given"] != "number" {
		t.Errorf("an override of another type = %v, want *UsageError expecting a string", err)
	}
	misfit.AllowOverrideTypeChange = true
	if plan, err := c.Executions.Plan(ctx, source.ExecID, misfit); err != nil || len(plan.Overrides) != 1 || plan.Overrides[0].Value != float64(42) {
		t.Errorf("with AllowOverrideTypeChange: plan = %+v, err = %v", plan, err)
	}
}

func TestLiveClientReplayAnswersOptedInWaitsFromItsSource(t *testing.T) {
	c, ctx := live(t)
	source := run(t, c, ctx, "approval", map[string]any{"topic": "copied"})
	settle(t, c, ctx, source.ExecID)
	must(c.Executions.Input(ctx, source.ExecID, "approve", map[string]any{"approved": true, "reviewer": "ada"})).ok(t)
	want := "published 'draft about copied', approved by ada"
	if result := must(c.Executions.Result(ctx, source.ExecID)).ok(t); result != want {
		t.Fatalf("source result = %v", result)
	}
	opts := kitaru.ReplayOptions{From: "draft", AnswerWaitsFromSource: []string{"approve"}}
	if plan := must(c.Executions.Plan(ctx, source.ExecID, opts)).ok(t); !slices.Equal(plan.AnswerWaitsFromSource, []string{"approve"}) {
		t.Errorf("plan answers = %v", plan.AnswerWaitsFromSource)
	}
	replayed := must(c.Executions.Replay(ctx, source.ExecID, opts)).ok(t)
	if result := must(c.Executions.Result(ctx, replayed.ExecID)).ok(t); result != want {
		t.Errorf("replay result = %v", result)
	}
	done := must(c.Executions.Get(ctx, replayed.ExecID)).ok(t)
	if done.Replay == nil || !slices.Equal(done.Replay.AnswerWaitsFromSource, []string{"approve"}) || len(done.Waits) != 1 {
		t.Fatalf("replayed = %+v", done)
	}
	if w := done.Waits[0]; w.AnsweredBy != "copied from execution "+source.ExecID || w.AnswerSourceExecID != source.ExecID || w.SourceAnswerNote != "" {
		t.Errorf("copied wait = %+v", w)
	}
	// Without the opt-in the replay stops at the wait, as before.
	asked := must(c.Executions.Replay(ctx, source.ExecID, kitaru.ReplayOptions{From: "draft"})).ok(t)
	if s := settle(t, c, ctx, asked.ExecID).Status; s != kitaru.StatusWaiting {
		t.Errorf("replay without the opt-in: status = %s", s)
	}
	var u *kitaru.UsageError
	if _, err := c.Executions.Plan(ctx, source.ExecID, kitaru.ReplayOptions{From: "draft", AnswerWaitsFromSource: []string{" "}}); !errors.As(err, &u) {
		t.Errorf("a blank wait name = %v, want *UsageError", err)
	}
}

func TestLiveClientWaitsInputValidationAndAbort(t *testing.T) {
	c, ctx := live(t)
	execution := run(t, c, ctx, "approval", map[string]any{"topic": "waits"})
	if s := settle(t, c, ctx, execution.ExecID).Status; s != kitaru.StatusWaiting {
		t.Fatalf("status = %s", s)
	}
	waits := must(c.Executions.PendingWaits(ctx, execution.ExecID)).ok(t)
	if len(waits) != 1 || waits[0].Name != "approve" || waits[0].Status != kitaru.WaitPending ||
		waits[0].Question != "Publish the draft about waits?" || waits[0].Schema["type"] != "object" || waits[0].Metadata["topic"] != "waits" {
		t.Fatalf("waits = %+v", waits)
	}
	_, err := c.Executions.Result(ctx, execution.ExecID)
	var pending *kitaru.PendingWaitError
	var st *kitaru.StateError
	if !errors.As(err, &pending) || !reflect.DeepEqual(pending.PendingWaits, waits) || !errors.As(err, &st) {
		t.Errorf("Result of a waiting execution = %v", err)
	}

	_, err = c.Executions.Input(ctx, execution.ExecID, "approve", map[string]any{"approved": "yes"})
	var invalid *kitaru.WaitValidationError
	if !errors.As(err, &invalid) || invalid.WaitName != "approve" || invalid.WaitID != waits[0].WaitID {
		t.Fatalf("invalid input = %v", err)
	}
	if !slices.ContainsFunc(invalid.Violations, func(v kitaru.FieldViolation) bool { return v.Field == "approved" }) {
		t.Errorf("violations = %+v", invalid.Violations)
	}
	if _, err := c.Executions.Input(ctx, execution.ExecID, "nope", true); !errors.As(err, &st) || st.WaitSelection == nil {
		t.Errorf("unknown wait = %v", err)
	}
	answered := must(c.Executions.Input(ctx, execution.ExecID, waits[0].WaitID, map[string]any{"approved": true, "reviewer": "ada"})).ok(t)
	if answered.ExecID != execution.ExecID {
		t.Errorf("answered = %+v", answered)
	}
	if result := must(c.Executions.Result(ctx, execution.ExecID)).ok(t); result != "published 'draft about waits', approved by ada" {
		t.Errorf("result = %v", result)
	}

	other := run(t, c, ctx, "approval", map[string]any{"topic": "abort"})
	settle(t, c, ctx, other.ExecID)
	must(c.Executions.AbortWait(ctx, other.ExecID, "approve")).ok(t)
	if s := settle(t, c, ctx, other.ExecID).Status; s != kitaru.StatusCancelled {
		t.Errorf("status after AbortWait = %s", s)
	}
	var ex *kitaru.ExecutionError
	if _, err := c.Executions.Result(ctx, other.ExecID); !errors.As(err, &ex) || ex.Status != "cancelled" {
		t.Errorf("Result of an aborted execution = %v", err)
	}
}

func TestLiveClientWatchEventsAndFollowWaits(t *testing.T) {
	c, ctx := live(t)
	done := settle(t, c, ctx, run(t, c, ctx, "content_pipeline", map[string]any{"topic": "watch"}).ExecID)
	var events []kitaru.Event
	for event, err := range c.Executions.Watch(ctx, done.ExecID, kitaru.WatchOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, event)
	}
	var completed []string
	for _, e := range events {
		if e.Kind == kitaru.EventCallCompleted {
			completed = append(completed, e.Call.InvocationID)
		}
	}
	last := events[len(events)-1]
	if !slices.Equal(completed, []string{"research", "write_draft", "publish"}) || last.Kind != kitaru.EventStatusChanged ||
		last.StatusChange.Status != kitaru.StatusCompleted || last.StatusChange.Result != done.Result || last.Time.IsZero() {
		t.Errorf("events = %+v", events)
	}

	execution := run(t, c, ctx, "approval", map[string]any{"topic": "follow"})
	settle(t, c, ctx, execution.ExecID)
	followed := make(chan []kitaru.Event)
	go func() {
		var seen []kitaru.Event
		for event, err := range c.Executions.Watch(ctx, execution.ExecID, kitaru.WatchOptions{FollowWaits: true}) {
			if err != nil {
				break
			}
			seen = append(seen, event)
		}
		followed <- seen
	}()
	must(c.Executions.Input(ctx, execution.ExecID, "approve", map[string]any{"approved": false, "reviewer": "bo"})).ok(t)
	seen := <-followed
	i := slices.IndexFunc(seen, func(e kitaru.Event) bool { return e.Kind == kitaru.EventWaitResolved })
	if i < 0 || seen[i].Wait.Status != kitaru.WaitResolved || !reflect.DeepEqual(seen[i].Wait.Value, map[string]any{"approved": false, "reviewer": "bo"}) {
		t.Errorf("followed events = %+v", seen)
	}
	if end := seen[len(seen)-1]; end.StatusChange == nil || end.StatusChange.Result != "rejected by bo" {
		t.Errorf("last followed event = %+v", end)
	}

	waiting := run(t, c, ctx, "approval", map[string]any{"topic": "stop early"})
	settle(t, c, ctx, waiting.ExecID)
	for range c.Executions.Watch(ctx, waiting.ExecID, kitaru.WatchOptions{}) {
		break // leaving the loop cancels the stream
	}
}

func TestLiveClientGetReadsTheValuesAResponseLeftOut(t *testing.T) {
	c, ctx := live(t)
	const mib = 1024 * 1024
	// Three 4 MiB outputs are past the 2 MiB of values (as encoded) one response carries.
	done := settle(t, c, ctx, run(t, c, ctx, "big_outputs", map[string]any{"mib": 4, "parts": 3}).ExecID)
	if done.Status != kitaru.StatusCompleted || len(done.OmittedValues) != 0 || len(done.Checkpoints) != 3 {
		t.Fatalf("done = %s, omitted %v, %d checkpoints", done.Status, done.OmittedValues, len(done.Checkpoints))
	}
	for i, call := range done.Checkpoints {
		text, _ := call.Output.(string)
		if len(text) != 4*mib || !strings.HasPrefix(text, fmt.Sprintf("%d:", i)) {
			t.Errorf("output %d: %d bytes", i, len(text))
		}
	}
	raw := must(c.Runner.GetExecution(ctx, done.ExecID, true)).ok(t)
	var omitted []string
	for _, v := range raw.GetOmittedValues() {
		omitted = append(omitted, fmt.Sprintf("%s %d", v.GetPath(), v.GetBytes()))
	}
	want := []string{
		fmt.Sprintf("checkpoints/big_part/output %d", 4*mib+2),
		fmt.Sprintf("checkpoints/big_part_2/output %d", 4*mib+2),
		fmt.Sprintf("checkpoints/big_part_3/output %d", 4*mib+2),
	}
	if !slices.Equal(omitted, want) || raw.GetCheckpoints()[2].GetOutput() != nil {
		t.Errorf("omitted = %v", omitted)
	}
	value := must(c.Executions.ReadValue(ctx, done.ExecID, "checkpoints/big_part_2/output")).ok(t)
	if text, _ := value.(string); len(text) != 4*mib || !strings.HasPrefix(text, "1:") {
		t.Errorf("ReadValue gave %d bytes", len(text))
	}
	var nf *kitaru.NotFoundError
	if _, err := c.Executions.ReadValue(ctx, done.ExecID, "checkpoints/nope/output"); !errors.As(err, &nf) {
		t.Errorf("unknown call: %v", err)
	}
	var usage *kitaru.UsageError
	if _, err := c.Executions.ReadValue(ctx, done.ExecID, "outputs"); !errors.As(err, &usage) {
		t.Errorf("bad path: %v", err)
	}
}

func TestLiveClientGetReadsEveryCallOfALongExecution(t *testing.T) {
	c, ctx := live(t)
	// Twelve calls with ~330 KB of metadata each (as encoded): more than one response's 3.5 MiB.
	done := settle(t, c, ctx, run(t, c, ctx, "heavy_metadata", map[string]any{"calls": 12, "numbers": 30000}).ExecID)
	var outputs []any
	for _, call := range done.Checkpoints {
		outputs = append(outputs, call.Output)
	}
	if len(outputs) != 12 || outputs[0] != float64(0) || outputs[11] != float64(11) {
		t.Errorf("outputs = %v", outputs)
	}
	first := must(c.Runner.GetExecution(ctx, done.ExecID, true)).ok(t)
	if n := len(first.GetCheckpoints()); n == 0 || n >= 12 || first.GetCheckpointsNextPageToken() == "" {
		t.Errorf("the first response holds %d calls, next page token %q", n, first.GetCheckpointsNextPageToken())
	}
}

func TestLiveClientLogsAndFollowLogs(t *testing.T) {
	c, ctx := live(t)
	done := settle(t, c, ctx, run(t, c, ctx, "chatty", map[string]any{"label": "go-logs"}).ExecID)
	if !reflect.DeepEqual(done.Metadata, map[string]any{"run": "go-logs", "stage": "end"}) {
		t.Errorf("metadata = %v", done.Metadata)
	}
	entries := must(c.Executions.Logs(ctx, done.ExecID, kitaru.LogsOptions{Checkpoint: "talk"})).ok(t)
	var lines []string
	for _, e := range entries {
		lines = append(lines, string(e.Level)+" "+e.Message)
	}
	want := "info starting go-logs with 3 items|info from the logger { label: 'go-logs' }|warn careful|error something odd"
	if strings.Join(lines, "|") != want {
		t.Errorf("lines = %q", lines)
	}
	if e := entries[0]; e.InvocationID != "talk" || e.Attempt != 1 || e.Source != "console" || e.Time.IsZero() {
		t.Errorf("first line = %+v", e)
	}
	if two := must(c.Executions.Logs(ctx, done.ExecID, kitaru.LogsOptions{Limit: 2})).ok(t); len(two) != 2 {
		t.Errorf("Limit 2 gave %d lines", len(two))
	}
	var followed []string
	var end *kitaru.StatusChange
	for event, err := range c.Executions.FollowLogs(ctx, done.ExecID, kitaru.LogsOptions{Checkpoint: "talk"}) {
		if err != nil {
			t.Fatal(err)
		}
		if event.Entry != nil {
			followed = append(followed, string(event.Entry.Level)+" "+event.Entry.Message)
		}
		end = event.StatusChange
	}
	if strings.Join(followed, "|") != want || end == nil || end.Status != kitaru.StatusCompleted {
		t.Errorf("followed = %q, ending with %+v", followed, end)
	}
}

func TestLiveClientRetryAFailedExecution(t *testing.T) {
	c, ctx := live(t)
	label := "go-retry-" + kitaru.NewRequestID()[:8]
	failed := settle(t, c, ctx, run(t, c, ctx, "fails_once", map[string]any{"label": label}).ExecID)
	if failed.Status != kitaru.StatusFailed || failed.Failure == nil || failed.Failure.Origin != kitaru.OriginUserCode ||
		failed.Failure.InvocationID != "shaky" || failed.Failure.Traceback == "" {
		t.Fatalf("failed = %+v", failed)
	}
	var uc *kitaru.UserCodeError
	if _, err := c.Executions.Result(ctx, failed.ExecID); !errors.As(err, &uc) || uc.Failure.GetMessage() != "first run of "+label+" fails" {
		t.Errorf("Result of a failed execution = %v", err)
	}
	retried := must(c.Executions.Retry(ctx, failed.ExecID)).ok(t)
	if retried.ExecID != failed.ExecID {
		t.Errorf("retried = %+v", retried)
	}
	if result := must(c.Executions.Result(ctx, failed.ExecID)).ok(t); result != "settled: "+label+" steady" {
		t.Errorf("result after retry = %v", result)
	}
	var st *kitaru.StateError
	if _, err := c.Executions.Retry(ctx, failed.ExecID); !errors.As(err, &st) || st.State.GetOperation() != "retry" {
		t.Errorf("retrying a completed execution = %v", err)
	}
}

func TestLiveClientCancelAndResultDeadline(t *testing.T) {
	c, ctx := live(t)
	execution := run(t, c, ctx, "sleeping", map[string]any{"label": "go-cancel-" + kitaru.NewRequestID()[:8]})
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if _, err := c.Executions.Result(short, execution.ExecID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Result past its context deadline = %v", err)
	}
	must(c.Executions.Cancel(ctx, execution.ExecID)).ok(t)
	if s := settle(t, c, ctx, execution.ExecID).Status; s != kitaru.StatusCancelled {
		t.Errorf("status after Cancel = %s", s)
	}
	var ex *kitaru.ExecutionError
	if _, err := c.Executions.Result(ctx, execution.ExecID); !errors.As(err, &ex) || ex.Status != "cancelled" || ex.Reason() != kitaru.ReasonExecution {
		t.Errorf("Result of a cancelled execution = %v", err)
	}
}

func TestLiveClientDivergingReplayIsADivergenceError(t *testing.T) {
	c, ctx := live(t)
	source := settle(t, c, ctx, run(t, c, ctx, "ordered", map[string]any{"order": "first-second"}).ExecID)
	if source.Result != "one+two" {
		t.Fatalf("source = %+v", source)
	}
	replayed := must(c.Executions.Replay(ctx, source.ExecID, kitaru.ReplayOptions{From: "combine", Args: map[string]any{"order": "second-first"}})).ok(t)
	_, err := c.Executions.Result(ctx, replayed.ExecID)
	var d *kitaru.DivergenceError
	var ex *kitaru.ExecutionError
	if !errors.As(err, &d) || !errors.As(err, &ex) {
		t.Fatalf("Result of a diverging replay = %T %v", err, err)
	}
	if d.ExecID != replayed.ExecID || d.Detail.GetSourceExecId() != source.ExecID || d.Detail.GetKind().String() != "DIVERGENCE_KIND_ORDER_CHANGED" {
		t.Errorf("divergence = %+v", d.Detail)
	}
	failed := must(c.Executions.Get(ctx, replayed.ExecID)).ok(t)
	if failed.Failure == nil || failed.Failure.Origin != kitaru.OriginDivergence || failed.Failure.Divergence.Kind != kitaru.DivergenceOrderChanged {
		t.Errorf("failure = %+v", failed.Failure)
	}
}

func TestLiveClientTypedErrorsForUnknownIDsAndBadInput(t *testing.T) {
	c, ctx := live(t)
	var nf *kitaru.NotFoundError
	if _, err := c.Executions.Get(ctx, "kr-aaaaaaaaaaaaaaaa"); !errors.As(err, &nf) || nf.ResourceType != "execution" {
		t.Errorf("unknown execution = %v", err)
	}
	if _, err := c.Flows.Run(ctx, "no_such_flow", nil); !errors.As(err, &nf) || nf.ResourceName != "no_such_flow" {
		t.Errorf("unknown flow = %v", err)
	}
	var u *kitaru.UsageError
	if _, err := c.Flows.Run(ctx, "content_pipeline", map[string]any{"topic": ""}); !errors.As(err, &u) || len(u.Violations) != 1 || u.Violations[0].Field != "topic" {
		t.Errorf("invalid input = %v", err)
	}
	if _, err := c.Flows.Run(ctx, "content_pipeline", map[string]any{"topic": make(chan int)}); !errors.As(err, &u) {
		t.Errorf("non-JSON input = %v", err)
	}
}

func TestLiveClientLowerLayerPlannerCalls(t *testing.T) {
	c, ctx := live(t)
	source := settle(t, c, ctx, run(t, c, ctx, "content_pipeline", map[string]any{"topic": "lower"}).ExecID)
	graph := must(c.Runner.Internal.GetCallGraph(ctx, &runnerv1.GetCallGraphRequest{ExecId: source.ExecID})).ok(t).GetGraph()
	if got := invocationIDs(graph.GetLineage(), (*runnerv1.CallLineage).GetInvocationId); !slices.Equal(got, []string{"research", "write_draft", "publish"}) {
		t.Errorf("call graph = %v", got)
	}
	plan := must(c.Planner.Stub.PlanReplay(ctx, plannerPlanRequest(source.ExecID))).ok(t).GetPlan()
	preview := must(c.Runner.Internal.StartReplay(ctx, &runnerv1.StartReplayRequest{Plan: plan, ValidateOnly: true})).ok(t).GetExecution()
	if preview.GetOriginalExecId() != source.ExecID {
		t.Errorf("validate-only replay = %v", preview)
	}
	// The interceptor sends a request ID when the request has none; the same explicit ID is the same execution.
	id := kitaru.NewRequestID()
	first := must(c.Runner.Internal.StartReplay(ctx, &runnerv1.StartReplayRequest{Plan: plan, RequestId: id})).ok(t).GetExecution()
	second := must(c.Runner.Internal.StartReplay(ctx, &runnerv1.StartReplayRequest{Plan: plan, RequestId: id})).ok(t).GetExecution()
	if first.GetExecId() != second.GetExecId() {
		t.Errorf("one request ID, two replays")
	}
	if result := must(c.Executions.Result(ctx, first.GetExecId())).ok(t); result != "published: my draft" {
		t.Errorf("result = %v", result)
	}
	_, err := c.Runner.Internal.GetCallGraph(ctx, &runnerv1.GetCallGraphRequest{ExecId: "kr-aaaaaaaaaaaaaaaa"})
	var nf *kitaru.NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("stub errors must be KitaruErrors: %T %v", err, err)
	}
}

// plannerPlanRequest replays from publish, with write_draft's output replaced by "my draft".
func plannerPlanRequest(execID string) *plannerv1.PlanReplayRequest {
	overrides, _ := structpb.NewStruct(map[string]any{"checkpoint.write_draft": "my draft"})
	return &plannerv1.PlanReplayRequest{ExecId: execID, From: "publish", Overrides: overrides}
}

// TestLiveClientTokenAndTLS runs against the secured services the test harness
// starts beside the plain ones (KITARU_SECURE_RUNNER_URL, KITARU_SECURE_PLANNER_URL:
// https, bearer tokens, the test CA in KITARU_SECURE_CA_FILE).
func TestLiveClientTokenAndTLS(t *testing.T) {
	runnerURL, plannerURL := os.Getenv("KITARU_SECURE_RUNNER_URL"), os.Getenv("KITARU_SECURE_PLANNER_URL")
	if runnerURL == "" || plannerURL == "" {
		t.Skip("KITARU_SECURE_RUNNER_URL / KITARU_SECURE_PLANNER_URL are not set (no secured services)")
	}
	options := kitaru.Options{RunnerURL: runnerURL, PlannerURL: plannerURL, CAFile: os.Getenv("KITARU_SECURE_CA_FILE"), Timeout: 20 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	anonymous, err := kitaru.NewClient(options)
	if err != nil {
		t.Fatal(err)
	}
	defer anonymous.Close()
	var auth *kitaru.AuthError
	if _, err := anonymous.Executions.List(ctx, kitaru.ListOptions{Limit: 1}); !errors.As(err, &auth) {
		t.Fatalf("without a token: got %T %v, want *kitaru.AuthError", err, err)
	}

	options.Token = os.Getenv("KITARU_SECURE_TOKEN")
	c, err := kitaru.NewClient(options)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	started := run(t, c, ctx, "content_pipeline", map[string]any{"topic": "over TLS"})
	if done := settle(t, c, ctx, started.ExecID); done.Status != kitaru.StatusCompleted {
		t.Fatalf("status = %s", done.Status)
	}
	replayed, err := c.Executions.Replay(ctx, started.ExecID, kitaru.ReplayOptions{From: "publish"})
	if err != nil || replayed.OriginalExecID != started.ExecID {
		t.Fatalf("replay = %+v, %v", replayed, err)
	}
}

func TestLiveClientLineageAndCompare(t *testing.T) {
	c, ctx := live(t)
	source := settle(t, c, ctx, run(t, c, ctx, "content_pipeline", map[string]any{"topic": "family"}).ExecID)
	replayed := must(c.Executions.Replay(ctx, source.ExecID, kitaru.ReplayOptions{
		From: "write_draft", Overrides: map[string]any{"checkpoint.research": "edited"},
	})).ok(t)
	settle(t, c, ctx, replayed.ExecID)
	lineage := must(c.Executions.Lineage(ctx, replayed.ExecID)).ok(t)
	nodes := lineage.GetNodes()
	if lineage.GetRootExecId() != source.ExecID || len(nodes) != 2 ||
		nodes[0].GetEdge() != runnerv1.LineageEdgeKind_LINEAGE_EDGE_KIND_ORIGINAL ||
		nodes[1].GetExecId() != replayed.ExecID || nodes[1].GetParentExecId() != source.ExecID ||
		nodes[1].GetEdge() != runnerv1.LineageEdgeKind_LINEAGE_EDGE_KIND_REPLAY_OF {
		t.Errorf("lineage = %v", lineage)
	}
	comparison := must(c.Executions.Compare(ctx, source.ExecID, replayed.ExecID)).ok(t)
	var kinds []string
	for _, call := range comparison.GetCalls() {
		kinds = append(kinds, call.GetInvocationId()+"="+strings.TrimPrefix(call.GetKind().String(), "CALL_COMPARISON_KIND_"))
	}
	if strings.Join(kinds, ",") != "research=OVERRIDDEN,write_draft=CHANGED_OUTPUT,publish=CHANGED_OUTPUT" {
		t.Errorf("comparison kinds = %v", kinds)
	}
	if comparison.GetCounts()["changed_output"] != 2 {
		t.Errorf("counts = %v", comparison.GetCounts())
	}
	var nf *kitaru.NotFoundError
	if _, err := c.Executions.Compare(ctx, source.ExecID, "kr-aaaaaaaaaaaaaaaa"); !errors.As(err, &nf) {
		t.Errorf("unknown other = %v, want *NotFoundError", err)
	}
}

// servedFlowVersion is the flow version the runner serves, as ListFlows says
// (and as the test's runner was started with: KITARU_TEST_FLOW_VERSION).
func servedFlowVersion(t *testing.T, c *kitaru.Client, ctx context.Context) string {
	t.Helper()
	flows := must(c.Flows.List(ctx)).ok(t)
	version := flows[0].FlowVersion
	for _, f := range flows {
		if f.FlowVersion != version {
			t.Fatalf("flows of two versions: %+v", flows)
		}
	}
	if want := os.Getenv("KITARU_TEST_FLOW_VERSION"); version == "" || (want != "" && version != want) {
		t.Fatalf("the runner serves flow version %q, want %q", version, want)
	}
	return version
}

func TestLiveClientFlowVersionsEveryWaitAndVerify(t *testing.T) {
	c, ctx := live(t)
	version := servedFlowVersion(t, c, ctx)
	execution := run(t, c, ctx, "approval", map[string]any{"topic": "versions"})
	if execution.FlowVersion != version {
		t.Errorf("started with flow version %q, want %q", execution.FlowVersion, version)
	}
	waiting := settle(t, c, ctx, execution.ExecID)
	if waiting.Status != kitaru.StatusWaiting || waiting.VersionHold != nil || waiting.FlowVersion != version {
		t.Fatalf("waiting = %s hold %+v version %q", waiting.Status, waiting.VersionHold, waiting.FlowVersion)
	}
	if runs := waiting.FlowVersionRuns; len(runs) != 1 || runs[0].FlowVersion != version || runs[0].StartedAt.Before(waiting.StartedAt) {
		t.Errorf("runs = %+v (started %v)", runs, waiting.StartedAt)
	}
	if len(waiting.Waits) != 1 || waiting.Waits[0].Name != "approve" || waiting.Waits[0].Status != kitaru.WaitPending || waiting.Waits[0].Value != nil {
		t.Errorf("waits = %+v", waiting.Waits)
	}

	// The runner's own code would continue it: it waits at the same place again, having issued the recorded call.
	check := must(c.Executions.Verify(ctx, kitaru.VerifyOptions{ExecIDs: []string{execution.ExecID}})).ok(t)
	if check.FlowVersion != version || len(check.Results) != 1 {
		t.Fatalf("verify = %+v", check)
	}
	want := kitaru.Verification{
		ExecID: execution.ExecID, FlowName: "approval", Status: kitaru.StatusWaiting, RecordedFlowVersion: version,
		Verdict: kitaru.VerdictCompatible, Outcome: "would wait at 'approve'", MatchedCalls: 1, RecordedCalls: 1,
	}
	if !reflect.DeepEqual(check.Results[0], want) {
		t.Errorf("verification = %+v, want %+v", check.Results[0], want)
	}

	answer := map[string]any{"approved": true, "reviewer": "vera"}
	must(c.Executions.Input(ctx, execution.ExecID, "approve", answer)).ok(t)
	if result := must(c.Executions.Result(ctx, execution.ExecID)).ok(t); result != "published 'draft about versions', approved by vera" {
		t.Errorf("result = %v", result)
	}
	done := must(c.Executions.Get(ctx, execution.ExecID)).ok(t)
	// Every wait of the full view, with its answer; the same version resumed it: still one run.
	if len(done.Waits) != 1 || done.Waits[0].Status != kitaru.WaitResolved || !reflect.DeepEqual(done.Waits[0].Value, answer) ||
		done.Waits[0].ResolvedAt.IsZero() || len(done.PendingWaits) != 0 {
		t.Errorf("waits = %+v, pending %+v", done.Waits, done.PendingWaits)
	}
	if len(done.FlowVersionRuns) != 1 || done.FlowVersionRuns[0].FlowVersion != version {
		t.Errorf("runs after the answer = %+v", done.FlowVersionRuns)
	}

	completed := must(c.Executions.Verify(ctx, kitaru.VerifyOptions{ExecIDs: []string{execution.ExecID}})).ok(t).Results[0]
	if completed.Verdict != kitaru.VerdictCompatible || completed.Outcome != "would complete" || completed.MatchedCalls != 2 || completed.RecordedCalls != 2 {
		t.Errorf("verification of the completed one = %+v", completed)
	}
	byFilter := must(c.Executions.Verify(ctx, kitaru.VerifyOptions{Filter: kitaru.Filter{Flow: "approval", Status: kitaru.StatusCompleted}, Limit: 2})).ok(t)
	if byFilter.FlowVersion != version || len(byFilter.Results) < 1 || len(byFilter.Results) > 2 {
		t.Fatalf("verify by filter = %+v", byFilter)
	}
	for _, r := range byFilter.Results {
		if r.FlowName != "approval" || r.Status != kitaru.StatusCompleted || r.Verdict != kitaru.VerdictCompatible {
			t.Errorf("verification by filter = %+v", r)
		}
	}

	// Status changes say which version ran the body.
	changes := 0
	for event, err := range c.Executions.Watch(ctx, execution.ExecID, kitaru.WatchOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if event.StatusChange != nil {
			changes++
			if event.StatusChange.FlowVersion != version || event.StatusChange.VersionHold != nil {
				t.Errorf("status change = %+v", event.StatusChange)
			}
		}
	}
	if changes == 0 {
		t.Errorf("no status change watched")
	}
}

func TestLiveClientReplayPlansLineageAndDiffsCarryFlowVersions(t *testing.T) {
	c, ctx := live(t)
	version := servedFlowVersion(t, c, ctx)
	source := settle(t, c, ctx, run(t, c, ctx, "content_pipeline", map[string]any{"topic": "versioned family"}).ExecID)
	plan := must(c.Executions.Plan(ctx, source.ExecID, kitaru.ReplayOptions{From: "publish"})).ok(t)
	if plan.SourceFlowVersion != version || plan.FlowVersion != version {
		t.Errorf("plan versions = %q → %q", plan.SourceFlowVersion, plan.FlowVersion)
	}
	replayed := must(c.Executions.Replay(ctx, source.ExecID, kitaru.ReplayOptions{From: "publish"})).ok(t)
	if replayed.FlowVersion != version || replayed.Replay == nil || replayed.Replay.SourceFlowVersion != version {
		t.Errorf("replayed = %q from %+v", replayed.FlowVersion, replayed.Replay)
	}
	settle(t, c, ctx, replayed.ExecID)
	for _, node := range must(c.Executions.Lineage(ctx, replayed.ExecID)).ok(t).GetNodes() {
		if node.GetFlowVersion() != version {
			t.Errorf("lineage node %s has flow version %q", node.GetExecId(), node.GetFlowVersion())
		}
	}
	comparison := must(c.Executions.Compare(ctx, source.ExecID, replayed.ExecID)).ok(t)
	if comparison.GetBaseFlowVersion() != version || comparison.GetOtherFlowVersion() != version {
		t.Errorf("comparison versions = %q → %q", comparison.GetBaseFlowVersion(), comparison.GetOtherFlowVersion())
	}
}
