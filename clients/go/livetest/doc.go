// Package livetest holds the Go client's tests against a live runner and
// planner; it has no code of its own. live_test.go drives the lower layer
// (RunnerClient, the generated stub) at KITARU_RUNNER_ADDR (host:port);
// client_live_test.go drives kitaru.NewClient at KITARU_RUNNER_URL and
// KITARU_PLANNER_URL. Without them the tests skip.
// test/clients/go-client.test.ts starts both services with the flows the
// tests use and runs them; it expects every TestLive* to pass.
package livetest
