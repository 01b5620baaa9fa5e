import { CatalogCache, type CatalogChange } from './catalog-cache';
import type { CatalogEntry } from './catalog-entry';
import { catalogEntry } from './testing/catalog-entries';

describe('CatalogCache', () => {
  it('resolves by id, then alias, and keeps only newer versions', () => {
    const cache = new CatalogCache();
    expect(cache.apply(catalogEntry({ id: 'gpt-4o', aliases: ['gpt4'], version: 2n }))).toBe(true);
    expect(cache.apply(catalogEntry({ id: 'gpt-4o', aliases: ['old'], version: 1n }))).toBe(false);
    expect(cache.resolve('gpt-4o')?.version).toBe(2n);
    expect(cache.resolve('gpt4')?.id).toBe('gpt-4o');
    expect(cache.resolve('old')).toBeUndefined();
    expect(cache.apply(catalogEntry({ id: 'gpt-4o', aliases: ['four'], version: 3n }))).toBe(true);
    expect(cache.resolve('gpt4')).toBeUndefined();
    expect(cache.resolve('four')?.version).toBe(3n);
  });

  it('forgets tombstoned entries and ignores a late copy of the deleted state, but takes a re-created one', () => {
    const cache = new CatalogCache();
    cache.apply(catalogEntry({ id: 'm', aliases: ['a'], version: 5n }));
    expect(cache.remove('m')).toBe(true);
    expect(cache.resolve('a')).toBeUndefined();
    expect(cache.apply(catalogEntry({ id: 'm', version: 4n }))).toBe(false);
    expect(cache.apply(catalogEntry({ id: 'm', version: 5n }))).toBe(false);
    expect(cache.apply(catalogEntry({ id: 'm', version: 9n }))).toBe(true);
  });

  it('hands an alias to its other claimant when two entries briefly share it', () => {
    const cache = new CatalogCache();
    cache.apply(catalogEntry({ id: 'a', aliases: ['shared'], version: 1n }));
    cache.apply(catalogEntry({ id: 'b', aliases: ['shared'], version: 2n }));
    expect(cache.resolve('shared')?.id).toBe('b');
    cache.apply(catalogEntry({ id: 'b', aliases: [], version: 3n }));
    expect(cache.resolve('shared')?.id).toBe('a');
  });

  it('lists by id and tells subscribers about every applied change', () => {
    const cache = new CatalogCache();
    const changes: CatalogChange[] = [];
    const unsubscribe = cache.onChange((change) => changes.push(change));
    cache.onChange(() => {
      throw new Error('a failing subscriber changes nothing');
    });
    cache.apply(catalogEntry({ id: 'b', version: 1n }));
    cache.apply(catalogEntry({ id: 'a', version: 2n }));
    cache.apply(catalogEntry({ id: 'a', version: 2n }));
    cache.remove('b');
    expect(cache.list().map((e: CatalogEntry) => e.id)).toEqual(['a']);
    expect(changes.map((c) => c.type)).toEqual(['upsert', 'upsert', 'delete']);
    unsubscribe();
    cache.remove('a');
    expect(changes).toHaveLength(3);
  });
});
