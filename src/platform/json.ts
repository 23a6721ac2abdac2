/** Safe access to parsed JSON of unknown shape. */

/** The value of `key` when `value` is a non-array object, else undefined. */
export function prop(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  return (value as Record<string, unknown>)[key];
}
