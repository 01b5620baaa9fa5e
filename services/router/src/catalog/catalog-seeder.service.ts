import { Injectable } from '@nestjs/common';
import type { CatalogFile } from './catalog-file';
import { planSeed } from './catalog-seed';
import { CatalogStore } from './catalog-store.service';

export interface SeedSummary {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly deleted: number;
}

/**
 * Applies the seed file at start-up in one transaction under the catalog write lock, so replicas
 * starting together apply it once: the first writes, the others find nothing left to do.
 */
@Injectable()
export class CatalogSeeder {
  constructor(private readonly store: CatalogStore) {}

  async apply(file: CatalogFile): Promise<SeedSummary> {
    let summary: SeedSummary = { created: 0, updated: 0, unchanged: 0, deleted: 0 };
    await this.store.change(async (manager, changes) => {
      const plan = planSeed(file, await this.store.loadAll(manager));
      for (const entry of plan.delete) {
        await this.store.delete(manager, entry);
        changes.deleted.push(entry);
      }
      for (const model of plan.create) changes.written.push(await this.store.write(manager, model.spec, { created: true, seedDigest: model.digest }));
      for (const model of plan.update) changes.written.push(await this.store.write(manager, model.spec, { created: false, seedDigest: model.digest }));
      for (const model of plan.adopt) await this.store.adoptSeed(manager, model.spec.id, model.digest);
      summary = {
        created: plan.create.length,
        updated: plan.update.length,
        unchanged: plan.unchanged.length + plan.adopt.length,
        deleted: plan.delete.length,
      };
    });
    return summary;
  }
}
