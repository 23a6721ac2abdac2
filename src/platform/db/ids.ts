/** Identifiers and timestamps in the portable forms every table uses. */
import { randomUUID } from 'node:crypto';

/** A new random id (UUID v4 text), the primary key of every entity table. */
export function newId(): string {
  return randomUUID();
}

/** A timestamp column value: ISO 8601 UTC with milliseconds; text order equals time order. */
export function toTimestamp(date: Date): string {
  return date.toISOString();
}
