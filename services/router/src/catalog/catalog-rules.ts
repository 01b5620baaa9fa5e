import type { CatalogErrorCode } from './catalog-errors';

/** What the rules across entries look at: names and fallbacks. */
export interface EntryNames {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly fallbacks: readonly string[];
}

export interface CatalogRuleProblem {
  readonly code: Extract<CatalogErrorCode, 'model_exists' | 'alias_taken' | 'unknown_fallback' | 'model_in_use'>;
  readonly param: string | null;
  readonly message: string;
}

/**
 * The first rule `entry` breaks in a catalog whose other entries are `others`: ids and aliases
 * share one namespace (a request's `model` must name exactly one entry), and fallbacks name
 * existing model ids.
 */
export function upsertProblem(entry: EntryNames, others: readonly EntryNames[]): CatalogRuleProblem | undefined {
  const owners = new Map<string, { owner: string; as: 'id' | 'alias' }>();
  for (const other of others) {
    owners.set(other.id, { owner: other.id, as: 'id' });
    for (const alias of other.aliases) owners.set(alias, { owner: other.id, as: 'alias' });
  }
  const idOwner = owners.get(entry.id);
  if (idOwner?.as === 'id') return { code: 'model_exists', param: 'id', message: `A model with id '${entry.id}' already exists.` };
  if (idOwner) return { code: 'alias_taken', param: 'id', message: `'${entry.id}' is already an alias of the model '${idOwner.owner}'.` };
  for (const [index, alias] of entry.aliases.entries()) {
    const owner = owners.get(alias);
    if (owner) {
      const what = owner.as === 'id' ? 'the id of a model' : `an alias of the model '${owner.owner}'`;
      return { code: 'alias_taken', param: `aliases[${index}]`, message: `'${alias}' is already ${what}.` };
    }
  }
  const ids = new Set(others.map((other) => other.id));
  for (const [index, fallback] of entry.fallbacks.entries()) {
    if (ids.has(fallback)) continue;
    const owner = owners.get(fallback);
    const hint = owner ? ` ('${fallback}' is an alias of '${owner.owner}'; fallbacks name model ids)` : '';
    return { code: 'unknown_fallback', param: `fallbacks[${index}]`, message: `No model with id '${fallback}'${hint}.` };
  }
  return undefined;
}

/** A model that others fall back to cannot go away under them. */
export function deleteProblem(id: string, others: readonly EntryNames[]): CatalogRuleProblem | undefined {
  const referrers = others.filter((other) => other.fallbacks.includes(id)).map((other) => `'${other.id}'`);
  if (referrers.length === 0) return undefined;
  return {
    code: 'model_in_use',
    param: null,
    message: `The model '${id}' is a fallback of ${referrers.join(', ')}; remove it from their fallbacks first.`,
  };
}
