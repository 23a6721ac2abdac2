/**
 * A map that holds at most `limit` entries: setting an entry makes it the most recent, and past
 * the limit the least recent ones are forgotten. For memory that outside input could otherwise
 * grow without end (client addresses, SQL texts).
 */
export class RecentMap<K, V> {
  private readonly limit: number;
  /** Insertion order is recency order: `set` moves a key to the end. */
  private readonly entries = new Map<K, V>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** The entry of `key`, leaving its recency as it is. */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Sets `key` as the most recent entry, forgetting the least recent ones past the limit. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) {
        break;
      }
      this.entries.delete(oldest);
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
