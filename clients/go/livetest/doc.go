// Package livetest holds the Go client's tests against a live runner
// (live_test.go); it has no code of its own. The runner's address comes from
// KITARU_RUNNER_ADDR; without it the tests skip. test/clients/go-client.test.ts
// starts a runner with test/fixtures/flows/content-pipeline.ts and runs them.
package livetest
