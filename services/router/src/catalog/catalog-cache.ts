import type { CatalogEntry } from './catalog-entry';

export type CatalogChange =
  | { readonly type: 'upsert'; readonly entry: CatalogEntry; readonly previous: CatalogEntry | undefined }
  | { readonly type: 'delete'; readonly id: string; readonly previous: CatalogEntry };

export type CatalogListener = (change: CatalogChange) => void;

/**
 * Every entry's latest state, indexed by id and alias. Each replica fills it from the compacted
 * catalog topic (and, on the replica that made a change, right after the commit); applying is
 * idempotent and ignores stale versions, so replays, redeliveries and the local shortcut agree.
 */
export class CatalogCache {
  private readonly byId = new Map<string, CatalogEntry>();
  private readonly idByAlias = new Map<string, string>();
  /** The version an entry had when it was removed: a late copy of the deleted entry must not bring it back. */
  private readonly removedAt = new Map<string, bigint>();
  private readonly listeners = new Set<CatalogListener>();
  private sorted?: readonly CatalogEntry[];

  get size(): number {
    return this.byId.size;
  }

  /** Applies an entry; returns false when an equal or newer version is held (or was deleted). */
  apply(entry: CatalogEntry): boolean {
    const held = this.byId.get(entry.id);
    if (held && held.version >= entry.version) return false;
    const removed = this.removedAt.get(entry.id);
    if (!held && removed !== undefined && entry.version <= removed) return false;
    this.removedAt.delete(entry.id);
    if (held) this.unindex(held);
    this.byId.set(entry.id, entry);
    for (const alias of entry.aliases) this.idByAlias.set(alias, entry.id);
    this.sorted = undefined;
    this.emit({ type: 'upsert', entry, previous: held });
    return true;
  }

  /** A tombstone: the entry no longer exists. `version` is the deleted state's, when known. */
  remove(id: string, version?: bigint): boolean {
    const held = this.byId.get(id);
    const floor = version ?? held?.version;
    if (floor !== undefined && floor > (this.removedAt.get(id) ?? -1n)) this.removedAt.set(id, floor);
    if (!held || (version !== undefined && held.version > version)) return false;
    this.unindex(held);
    this.byId.delete(id);
    this.sorted = undefined;
    this.emit({ type: 'delete', id, previous: held });
    return true;
  }

  /** The entry named by `model`: its id first, then an alias. */
  resolve(model: string): CatalogEntry | undefined {
    const byId = this.byId.get(model);
    if (byId) return byId;
    const id = this.idByAlias.get(model);
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** Every entry, disabled ones included, sorted by id (the same array until the next change). */
  list(): readonly CatalogEntry[] {
    this.sorted ??= Object.freeze([...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    return this.sorted;
  }

  /** Calls `listener` after every applied change; returns the unsubscribe function. */
  onChange(listener: CatalogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: CatalogChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A subscriber's failure must not stop the catalog from following the topic.
      }
    }
  }

  /**
   * Drops the aliases `entry` indexed. While changes of two entries arrive out of order (they may
   * sit on different partitions) two entries can briefly claim one alias; the other claimant keeps it.
   */
  private unindex(entry: CatalogEntry): void {
    for (const alias of entry.aliases) {
      if (this.idByAlias.get(alias) !== entry.id) continue;
      this.idByAlias.delete(alias);
      for (const other of this.byId.values()) {
        if (other.id !== entry.id && other.aliases.includes(alias)) {
          this.idByAlias.set(alias, other.id);
          break;
        }
      }
    }
  }
}
