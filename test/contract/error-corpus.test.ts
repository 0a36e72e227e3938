/**
 * The golden error corpus (test/fixtures/errors/, written by
 * scripts/error-corpus.ts): one status per error reason as a kitaru service
 * sends it, and what a client reads from it. The Python and Go clients'
 * tests decode the same files (clients/python/tests/test_error_corpus.py,
 * clients/go/kitaru/error_corpus_test.go).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { ErrorReason, errorFromStatus } from "#contract/errors/index.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import { CORPUS_DIR, checkedInFiles, corpusFiles, type ErrorView, errorCorpus, errorView, staleFiles } from "../../scripts/error-corpus.ts";

describe("golden error corpus", () => {
  it("is what this checkout's error classes send (run scripts/error-corpus.ts after changing an error)", () => {
    assert.deepEqual(staleFiles(corpusFiles(), checkedInFiles()), { stale: [], extra: [] });
  });

  it("has a status for every reason", () => {
    assert.deepEqual(
      errorCorpus()
        .map((entry) => entry.reason)
        .sort(),
      Object.values(ErrorReason).sort(),
    );
  });

  it("decodes every status to the class and fields of the error that was sent", () => {
    for (const { reason, error } of errorCorpus()) {
      const bytes = readFileSync(path.join(CORPUS_DIR, `${reason}.bin`));
      const expected = JSON.parse(readFileSync(path.join(CORPUS_DIR, `${reason}.json`), "utf8")) as ErrorView;
      const status = fromBinary(StatusSchema, bytes);
      const decoded = errorFromStatus({ code: status.code, message: status.message, detailsBin: bytes });
      assert.deepEqual(errorView(decoded, status.code), expected, reason);
      // Nothing the sent error held is lost on the way (its own view is the same).
      assert.deepEqual(errorView(error, status.code), expected, reason);
    }
  });
});
