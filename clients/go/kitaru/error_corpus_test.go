package kitaru

// The golden error corpus (test/fixtures/errors/, written by
// scripts/error-corpus.ts): one google.rpc.Status per error reason as a
// kitaru service sends it, and what a client reads from it; the TS and
// Python clients' tests decode the same files. A reason added there fails
// here until errors.go decodes it. (An internal test: the failure and
// divergence details are read with the client's own converters.)

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/code"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const corpusDir = "../../../test/fixtures/errors"

// corpusReasons lists the reasons the corpus has a status for.
func corpusReasons(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.bin"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s (%v)", corpusDir, err)
	}
	reasons := make([]string, 0, len(files))
	for _, f := range files {
		reasons = append(reasons, strings.TrimSuffix(filepath.Base(f), ".bin"))
	}
	sort.Strings(reasons)
	return reasons
}

func TestErrorCorpusHasEveryReasonThisClientKnows(t *testing.T) {
	known := []string{
		ReasonUsage, ReasonWaitValidation, ReasonContext, ReasonState, ReasonNotFound, ReasonExecution,
		ReasonUserCode, ReasonDivergence, ReasonBackend, ReasonUnauthenticated, ReasonPermissionDenied, ReasonInternal,
	}
	sort.Strings(known)
	if got := corpusReasons(t); !reflect.DeepEqual(got, known) {
		t.Fatalf("corpus reasons %v, this client knows %v: a reason added to the corpus needs its type in errors.go", got, known)
	}
}

func TestErrorCorpusDecodesToEachClassAndItsFields(t *testing.T) {
	for _, reason := range corpusReasons(t) {
		t.Run(reason, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(corpusDir, reason+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			p := &spb.Status{}
			if err := proto.Unmarshal(raw, p); err != nil {
				t.Fatalf("%s.bin: %v", reason, err)
			}
			var expected map[string]any
			text, err := os.ReadFile(filepath.Join(corpusDir, reason+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(text, &expected); err != nil {
				t.Fatalf("%s.json: %v", reason, err)
			}
			got := normalized(t, corpusView(FromGRPCStatus(status.FromProto(p))))
			if !reflect.DeepEqual(got, expected) {
				t.Errorf("decoded %v\nwant    %v", got, expected)
			}
		})
	}
}

// corpusView is what the corpus says a client reads: the type (with the
// Kitaru prefix the other languages' classes have), code, message,
// metadata and the type's own fields, lowerCamel, unset ones left out.
func corpusView(e KitaruError) map[string]any {
	fields := map[string]any{}
	switch v := e.(type) {
	case *UsageError:
		fields["violations"] = violationsView(v.Violations)
	case *ContextError:
		fields["violations"] = violationsView(v.Violations)
	case *WaitValidationError:
		fields["violations"] = violationsView(v.Violations)
		fields["execId"], fields["waitName"], fields["waitId"] = v.ExecID, v.WaitName, v.WaitID
	case *StateError:
		stateView(fields, v)
	case *NotFoundError:
		stateView(fields, &v.StateError)
		fields["resourceType"], fields["resourceName"] = v.ResourceType, v.ResourceName
	case *ExecutionError:
		executionView(fields, v)
	case *UserCodeError:
		executionView(fields, &v.ExecutionError)
	case *DivergenceError:
		executionView(fields, &v.ExecutionError)
		if v.Detail != nil {
			fields["detail"] = divergenceView(divergenceFromProto(v.Detail))
		}
	}
	return map[string]any{
		"reason":   e.Reason(),
		"class":    "Kitaru" + reflect.TypeOf(e).Elem().Name(),
		"code":     code.Code_name[int32(e.Code())],
		"message":  e.Base().Message,
		"metadata": e.Base().Metadata,
		"fields":   fields,
	}
}

func violationsView(violations []FieldViolation) []map[string]string {
	out := []map[string]string{}
	for _, v := range violations {
		out = append(out, map[string]string{"field": v.Field, "description": v.Description})
	}
	return out
}

func stateView(fields map[string]any, e *StateError) {
	if s := e.Selector; s != nil {
		candidates := []map[string]string{}
		for _, c := range s.GetCandidates() {
			candidates = append(candidates, map[string]string{"name": c.GetName(), "invocationId": c.GetInvocationId(), "callId": c.GetCallId()})
		}
		fields["selector"] = map[string]any{
			"selector": s.GetSelector(), "source": s.GetSource(), "candidates": candidates, "availableNames": listOf(s.GetAvailableNames()),
		}
	}
	if s := e.State; s != nil {
		fields["state"] = map[string]string{"execId": s.GetExecId(), "status": s.GetStatus(), "operation": s.GetOperation()}
	}
	if w := e.WaitSelection; w != nil {
		fields["waitSelection"] = map[string]any{
			"execId": w.GetExecId(), "selector": w.GetSelector(), "availableWaitNames": listOf(w.GetAvailableWaitNames()), "matchingWaitIds": listOf(w.GetMatchingWaitIds()),
		}
	}
}

func executionView(fields map[string]any, e *ExecutionError) {
	fields["execId"], fields["status"] = e.ExecID, e.Status
	if f := failureFromProto(e.Failure); f != nil {
		failure := map[string]any{"origin": f.Origin, "message": f.Message, "exceptionType": f.ExceptionType, "invocationId": f.InvocationID}
		if f.Divergence != nil {
			failure["divergence"] = divergenceView(f.Divergence)
		}
		fields["failure"] = failure
	}
}

func divergenceView(d *Divergence) map[string]any {
	return map[string]any{
		"execId": d.ExecID, "sourceExecId": d.SourceExecID, "invocationId": d.InvocationID, "kind": d.Kind, "recorded": d.Recorded, "seen": d.Seen,
		"recordedDependencies": listOf(d.RecordedDependencies), "seenDependencies": listOf(d.SeenDependencies),
	}
}

func listOf(values []string) []string {
	if values == nil {
		return []string{}
	}
	return values
}

// normalized is the view as JSON values, comparable with the corpus file's.
func normalized(t *testing.T, view map[string]any) map[string]any {
	t.Helper()
	text, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(text, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
