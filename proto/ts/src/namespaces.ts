/**
 * Namespaces: each token grants one; executions, request IDs and waits live
 * in one, and a caller never sees or steers another's.
 *
 * @module
 */

/** The namespace of calls when authentication is off, and of executions recorded before namespaces existed. */
export const DEFAULT_NAMESPACE = "default";

/** A namespace name: lowercase letters, digits, `_` and `-`, at most 63 characters. */
export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
