// Preloaded into a test's child service (node --expose-gc --import <this file>):
// on SIGUSR2 it runs two full garbage collections and writes one line to stderr,
//   kitaru-memory-probe probe-<n> rss=<bytes> heapUsed=<bytes> external=<bytes> arrayBuffers=<bytes>
// numbering its answers 1, 2, ... so the test can tell a fresh answer from an old one.
// Test support only: no service code knows about it (see test/support/child-service.ts).
import { writeSync } from "node:fs";

let answers = 0;
process.on("SIGUSR2", () => {
  if (typeof globalThis.gc === "function") {
    globalThis.gc();
    globalThis.gc();
  }
  answers += 1;
  const m = process.memoryUsage();
  writeSync(
    2,
    `kitaru-memory-probe probe-${answers} rss=${m.rss} heapUsed=${m.heapUsed} external=${m.external} arrayBuffers=${m.arrayBuffers} heapTotal=${m.heapTotal}\n`,
  );
});
