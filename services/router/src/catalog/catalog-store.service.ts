import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { CatalogCache } from './catalog-cache';
import type { CatalogEntry } from './catalog-entry';
import { entryFromRecords } from './catalog-entry.mapper';
import { catalogError } from './catalog-errors';
import { CatalogOutbox } from './catalog-outbox.service';
import { deleteProblem, upsertProblem, type CatalogRuleProblem } from './catalog-rules';
import { ModelDeploymentRecord, ModelEntryRecord } from './model-entry.entity';
import type { ModelSpec } from './model.schemas';

/** Every change of the catalog holds this lock: validation sees the catalog it changes, and versions follow commits. */
const WRITE_LOCK = 'vectorstack:router:model-catalog-write';

/** An entry with the digest of the seed-file content last applied to it. */
export interface StoredEntry {
  readonly entry: CatalogEntry;
  readonly seedDigest: string | null;
}

/** What one catalog transaction did, for the caller to apply to this replica's cache after the commit. */
interface Changes {
  readonly written: CatalogEntry[];
  readonly deleted: CatalogEntry[];
}

function ruleError(problem: CatalogRuleProblem) {
  return catalogError(problem.code, problem.message, problem.param);
}

/**
 * The catalog in Postgres, the source of truth: every change runs in one transaction under the
 * catalog write lock, bumps the entry's version and writes its full state (or a tombstone) to the
 * outbox, which the relay publishes to the compacted catalog topic for every replica.
 */
@Injectable()
export class CatalogStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: CatalogOutbox,
    private readonly cache: CatalogCache,
  ) {}

  async list(): Promise<CatalogEntry[]> {
    return (await this.loadAll(this.dataSource.manager)).map((stored) => stored.entry);
  }

  async get(id: string): Promise<CatalogEntry> {
    const stored = await this.load(this.dataSource.manager, id);
    if (!stored) throw catalogError('model_not_found', `No model with id '${id}'.`);
    return stored.entry;
  }

  async create(spec: ModelSpec): Promise<CatalogEntry> {
    const [entry] = await this.change(async (manager, changes) => {
      const others = await this.loadAll(manager);
      const problem = upsertProblem(spec, others.map((stored) => stored.entry));
      if (problem) throw ruleError(problem);
      changes.written.push(await this.write(manager, spec, { created: true }));
    });
    return entry;
  }

  /** Replaces the whole entry; `expectedVersion` (from a GET) makes it fail with 409 if someone changed it since. */
  async replace(spec: ModelSpec, expectedVersion?: number): Promise<CatalogEntry> {
    const [entry] = await this.change(async (manager, changes) => {
      const all = await this.loadAll(manager);
      const current = all.find((stored) => stored.entry.id === spec.id);
      if (!current) throw catalogError('model_not_found', `No model with id '${spec.id}'.`);
      if (expectedVersion !== undefined && BigInt(expectedVersion) !== current.entry.version) {
        throw catalogError(
          'version_conflict',
          `The model '${spec.id}' changed since version ${expectedVersion} (it is at ${current.entry.version}); read it again and retry.`,
          'version',
        );
      }
      const problem = upsertProblem(
        spec,
        all.filter((stored) => stored.entry.id !== spec.id).map((stored) => stored.entry),
      );
      if (problem) throw ruleError(problem);
      changes.written.push(await this.write(manager, spec, { created: false }));
    });
    return entry;
  }

  async remove(id: string): Promise<void> {
    await this.change(async (manager, changes) => {
      const all = await this.loadAll(manager);
      const current = all.find((stored) => stored.entry.id === id);
      if (!current) throw catalogError('model_not_found', `No model with id '${id}'.`);
      const problem = deleteProblem(
        id,
        all.filter((stored) => stored.entry.id !== id).map((stored) => stored.entry),
      );
      if (problem) throw ruleError(problem);
      await this.delete(manager, current.entry);
      changes.deleted.push(current.entry);
    });
  }

  /** Disables (with an optional message for callers) or enables; a call that changes nothing bumps nothing. */
  async setDisabled(id: string, disabled: boolean, message: string | null): Promise<CatalogEntry> {
    let unchanged: CatalogEntry | undefined;
    const [entry] = await this.change(async (manager, changes) => {
      const current = await this.load(manager, id);
      if (!current) throw catalogError('model_not_found', `No model with id '${id}'.`);
      const nextMessage = disabled ? message : null;
      if (current.entry.disabled === disabled && current.entry.disabledMessage === nextMessage) {
        unchanged = current.entry;
        return;
      }
      changes.written.push(await this.write(manager, { ...current.entry, disabled, disabledMessage: nextMessage }, { created: false }));
    });
    return entry ?? (unchanged as CatalogEntry);
  }

  /**
   * Runs `work` in a transaction under the write lock; after the commit, wakes the relay and
   * applies the changes to this replica's cache at once (the topic brings the same versions
   * later, which the cache then ignores). Returns the written entries.
   */
  async change(work: (manager: EntityManager, changes: Changes) => Promise<void>): Promise<CatalogEntry[]> {
    const changes: Changes = { written: [], deleted: [] };
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [WRITE_LOCK]);
      await work(manager, changes);
    });
    if (changes.written.length > 0 || changes.deleted.length > 0) this.outbox.kick();
    for (const entry of changes.written) this.cache.apply(entry);
    for (const entry of changes.deleted) this.cache.remove(entry.id, entry.version);
    return changes.written;
  }

  /**
   * Inserts or updates the entry with a new version, replaces its deployments and enqueues its
   * full state. `seedDigest` is set by the seed file; left out, the stored one is kept.
   */
  async write(manager: EntityManager, spec: ModelSpec, options: { created: boolean; seedDigest?: string }): Promise<CatalogEntry> {
    const values = [
      spec.id,
      spec.aliases,
      spec.displayName,
      spec.ownedBy,
      spec.contextWindow,
      spec.maxOutputTokens,
      spec.inputPricePer1k,
      spec.outputPricePer1k,
      spec.tiers,
      spec.disabled,
      spec.disabledMessage,
      spec.fallbacks,
      options.seedDigest ?? null,
    ];
    if (options.created) {
      await manager.query(
        `INSERT INTO router.model (id, aliases, display_name, owned_by, context_window, max_output_tokens, input_price_per_1k,
           output_price_per_1k, tiers, disabled, disabled_message, fallbacks, seed_digest, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, nextval('router.model_version'), now(), now())`,
        values,
      );
    } else {
      await manager.query(
        `UPDATE router.model SET aliases = $2, display_name = $3, owned_by = $4, context_window = $5, max_output_tokens = $6,
           input_price_per_1k = $7, output_price_per_1k = $8, tiers = $9, disabled = $10, disabled_message = $11, fallbacks = $12,
           seed_digest = COALESCE($13, seed_digest), version = nextval('router.model_version'), updated_at = now()
         WHERE id = $1`,
        values,
      );
      await manager.delete(ModelDeploymentRecord, { modelId: spec.id });
    }
    await manager.insert(
      ModelDeploymentRecord,
      spec.deployments.map((d, position) => ({
        modelId: spec.id,
        id: d.id,
        position,
        provider: d.provider,
        baseUrl: d.baseUrl,
        upstreamModel: d.upstreamModel,
        credentialRef: d.credentialRef,
        weight: d.weight,
        timeoutMs: d.timeoutMs,
        maxRetries: d.maxRetries,
      })),
    );
    const stored = await this.load(manager, spec.id);
    if (!stored) throw new Error(`model ${spec.id} vanished inside its own transaction`);
    await this.outbox.enqueueEntry(manager, stored.entry);
    return stored.entry;
  }

  /** Deletes the entry (its deployments cascade) and enqueues a tombstone. */
  async delete(manager: EntityManager, entry: CatalogEntry): Promise<void> {
    await manager.delete(ModelEntryRecord, { id: entry.id });
    await this.outbox.enqueueTombstone(manager, entry.id);
  }

  /** Records that the seed file's entry is what the stored entry already says (no new version). */
  async adoptSeed(manager: EntityManager, id: string, seedDigest: string): Promise<void> {
    await manager.update(ModelEntryRecord, { id }, { seedDigest });
  }

  async loadAll(manager: EntityManager): Promise<StoredEntry[]> {
    const models = await manager.getRepository(ModelEntryRecord).find({ order: { id: 'ASC' } });
    return this.withDeployments(manager, models);
  }

  private async load(manager: EntityManager, id: string): Promise<StoredEntry | undefined> {
    const model = await manager.getRepository(ModelEntryRecord).findOneBy({ id });
    if (!model) return undefined;
    return (await this.withDeployments(manager, [model]))[0];
  }

  private async withDeployments(manager: EntityManager, models: ModelEntryRecord[]): Promise<StoredEntry[]> {
    if (models.length === 0) return [];
    const deployments = await manager.getRepository(ModelDeploymentRecord).findBy({ modelId: In(models.map((m) => m.id)) });
    const byModel = new Map<string, ModelDeploymentRecord[]>();
    for (const deployment of deployments) byModel.set(deployment.modelId, [...(byModel.get(deployment.modelId) ?? []), deployment]);
    return models.map((model) => ({ entry: entryFromRecords(model, byModel.get(model.id) ?? []), seedDigest: model.seedDigest }));
  }
}
