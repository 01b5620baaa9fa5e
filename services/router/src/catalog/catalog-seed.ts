import type { CatalogEntry } from './catalog-entry';
import { CatalogFileError, type CatalogFile, type SeedModel } from './catalog-file';
import { upsertProblem, type EntryNames } from './catalog-rules';
import { specContent } from './model.schemas';

/** An entry as stored, with the digest of the seed content last applied to it. */
export interface SeededEntry {
  readonly entry: CatalogEntry;
  readonly seedDigest: string | null;
}

export interface SeedPlan {
  /** New entries, and entries whose content in the file changed since it was last applied. */
  readonly create: readonly SeedModel[];
  readonly update: readonly SeedModel[];
  /** Stored content already equals the file's: only the digest is recorded, no new version. */
  readonly adopt: readonly SeedModel[];
  /** The file's content for these was applied before; what is stored now (maybe an admin's later change) stands. */
  readonly unchanged: readonly string[];
  /** With `prune: true`, every stored entry the file does not list. */
  readonly delete: readonly CatalogEntry[];
}

/**
 * What applying the seed file does to the stored catalog. An entry is (re)written only when the
 * file's content for it changed since it was last applied, so an admin's change through the API
 * (say, disabling a model during an incident) is not undone by the next replica that starts.
 * Throws CatalogFileError when the catalog after the seed would break a rule (names, fallbacks).
 */
export function planSeed(file: CatalogFile, stored: readonly SeededEntry[]): SeedPlan {
  const byId = new Map(stored.map((s) => [s.entry.id, s]));
  const listed = new Set(file.models.map((m) => m.spec.id));
  const plan = { create: [] as SeedModel[], update: [] as SeedModel[], adopt: [] as SeedModel[], unchanged: [] as string[] };
  const finalEntries = new Map<string, EntryNames>();
  for (const model of file.models) {
    const current = byId.get(model.spec.id);
    if (!current) plan.create.push(model);
    else if (current.seedDigest === model.digest) plan.unchanged.push(model.spec.id);
    else if (specContent(current.entry) === specContent(model.spec)) plan.adopt.push(model);
    else plan.update.push(model);
    finalEntries.set(model.spec.id, current && current.seedDigest === model.digest ? current.entry : model.spec);
  }
  // Entries the file does not list stay (and must still fit), unless the file prunes them.
  const deleted = file.prune ? stored.filter((s) => !listed.has(s.entry.id)).map((s) => s.entry) : [];
  if (!file.prune) for (const s of stored) if (!listed.has(s.entry.id)) finalEntries.set(s.entry.id, s.entry);

  const written = new Set([...plan.create, ...plan.update].map((m) => m.spec.id));
  for (const [index, model] of file.models.entries()) {
    const entry = finalEntries.get(model.spec.id) as EntryNames;
    const others = [...finalEntries.values()].filter((other) => other.id !== entry.id);
    const problem = upsertProblem(entry, others);
    if (!problem) continue;
    const what = written.has(entry.id) ? '' : ` (the stored entry, changed since the file last applied it)`;
    throw new CatalogFileError(file.path, problem.param ? `models[${index}].${problem.param}` : `models[${index}]`, problem.message + what);
  }
  return { ...plan, delete: deleted };
}
