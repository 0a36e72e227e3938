// Records as JSON text, for stores that keep each record whole in one column
// (the SQLite store). Plain JSON would turn every Date into a string; these
// functions keep Dates as Dates, wherever in the record they are, so a field
// added to a record later round-trips without the store knowing about it.
//
// A Date is written as {"$date": "<ISO 8601>"}. No record holds user JSON as
// an object (user values are JSON *text* inside payloads), so no user key can
// collide with the tag.

const DATE_TAG = "$date";

/**
 * The JSON text of a record, with every Date written as a tagged ISO string.
 * Undefined properties are left out, as JSON.stringify does.
 */
export function encodeRecord(record: unknown): string {
  return JSON.stringify(record, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (!(raw instanceof Date)) return value;
    return { [DATE_TAG]: Number.isNaN(raw.getTime()) ? null : raw.toISOString() };
  });
}

/** A record from its {@link encodeRecord} text; tagged dates come back as Date objects. */
export function decodeRecord<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => (isDateTag(value) ? new Date(value[DATE_TAG] ?? Number.NaN) : value)) as T;
}

function isDateTag(value: unknown): value is { [DATE_TAG]: string | null } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === DATE_TAG;
}
