/**
 * Preloaded in every unit-tier test process (`node --import
 * ./test/support/unit-tier-preload.ts`, scripts/test.sh): installs the guard
 * of no-processes.ts before the test files load. Not in the `node --test`
 * parent process (its argv has `--test`: it starts the test processes), nor
 * in threads (esbuild's compiler thread, the one let through, starts its
 * compiler as a process).
 *
 * @module
 */
import { isMainThread } from "node:worker_threads";
import { forbidProcesses } from "./no-processes.ts";

if (isMainThread && !process.execArgv.includes("--test")) forbidProcesses();
