/**
 * A real `kitaru runner` in a child process: now in test/support/killable-runners.ts
 * (with the environment that kills and restarts them); re-exported for the tests that import it from here.
 *
 * @module
 */
export { type ChildRunner, startChildRunner } from "../support/killable-runners.ts";
