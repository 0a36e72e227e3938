/**
 * The limits on one JSON value, the same everywhere a value crosses kitaru:
 * flow inputs, replay args and overrides, wait answers (checked by the
 * services on every request) and checkpoint outputs, flow results and
 * metadata (checked by the runner before it stores them).
 *
 * @module
 */
export const VALUE_LIMITS = {
  /**
   * Nesting depth of objects and arrays. protobuf-es decodes at most 100
   * nested messages and each JSON level costs two (`Value` and
   * `Struct`/`ListValue`), so a deeper value could not travel back to clients.
   */
  depth: 40,
  /** UTF-8 bytes of the value as JSON text. */
  bytes: 32 * 1024 * 1024,
} as const;
