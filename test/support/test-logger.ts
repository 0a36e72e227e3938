/**
 * The logger of the services a test starts in-process: silent, so a test
 * run shows the tests' own output; with KITARU_TEST_LOGS=1 the services keep
 * their usual console logger (to read what a failing test's service said).
 *
 * @module
 */
import type { TransportLogger } from "../../services/transport/src/logger.ts";

/** Drops every line. */
export const quietLogger: TransportLogger = { error: () => undefined, warn: () => undefined };

/** The `logger` option of a service a test starts: {@link quietLogger}, or none (the service's own) under KITARU_TEST_LOGS. */
export function testLogger(): { logger?: TransportLogger } {
  return process.env["KITARU_TEST_LOGS"] ? {} : { logger: quietLogger };
}
