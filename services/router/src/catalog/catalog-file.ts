import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatParamPath } from '@vectorstack/http';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { CredentialPolicy } from './credential-ref';
import { createModelBody, specContent, specFromBody, specProblem, type ModelSpec } from './model.schemas';

/**
 * The seed file (ROUTER_CATALOG_FILE): entries in the admin API's shape under `models`, and
 * `prune: true` to delete every entry the file does not list.
 */
const catalogFileSchema = z
  .object({
    prune: z.boolean().default(false),
    models: z.array(createModelBody).max(10_000),
  })
  .strict();

export interface SeedModel {
  readonly spec: ModelSpec;
  /** Digest of the entry's content in the file: the seed re-applies an entry only when this changes. */
  readonly digest: string;
}

export interface CatalogFile {
  readonly path: string;
  readonly prune: boolean;
  readonly models: readonly SeedModel[];
}

/** A seed file the router refuses to start with; the message is one line naming the file and the field. */
export class CatalogFileError extends Error {
  constructor(
    readonly path: string,
    readonly param: string | null,
    reason: string,
  ) {
    super(`Invalid model catalog file ${path}: ${param ? `${param}: ` : ''}${reason}`.replace(/\s*\n\s*/g, ' '));
    this.name = 'CatalogFileError';
  }
}

export function seedDigest(spec: ModelSpec): string {
  return createHash('sha256').update(specContent(spec)).digest('hex');
}

function describeIssue(issue: z.ZodIssue): { param: string | null; reason: string } {
  if (issue.path.length === 0) return { param: null, reason: 'must be a YAML mapping with a "models" list' };
  if (issue.code === 'unrecognized_keys') return { param: formatParamPath([...issue.path, issue.keys[0]]), reason: 'unknown field' };
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return { param: formatParamPath(issue.path), reason: 'is required' };
  return { param: formatParamPath(issue.path), reason: issue.message };
}

/** Parses and validates a seed file's text; everything that can be checked without the database. */
export function parseCatalogFile(path: string, text: string, policy: CredentialPolicy): CatalogFile {
  const document = parseDocument(text);
  const [syntax] = document.errors;
  if (syntax) throw new CatalogFileError(path, null, syntax.message.split('\n')[0].replace(/:$/, ''));
  const result = catalogFileSchema.safeParse(document.toJS() ?? {});
  if (!result.success) {
    const { param, reason } = describeIssue(result.error.issues[0]);
    throw new CatalogFileError(path, param, reason);
  }
  const models: SeedModel[] = [];
  const owners = new Map<string, string>();
  for (const [index, body] of result.data.models.entries()) {
    const spec = specFromBody(body, body.id);
    const problem = specProblem(spec, policy);
    if (problem) throw new CatalogFileError(path, `models[${index}].${problem.param}`, problem.message);
    for (const [nameIndex, name] of [spec.id, ...spec.aliases].entries()) {
      const param = nameIndex === 0 ? `models[${index}].id` : `models[${index}].aliases[${nameIndex - 1}]`;
      const owner = owners.get(name);
      if (owner !== undefined) throw new CatalogFileError(path, param, `'${name}' is already ${owner === name ? 'the id of another entry' : `an alias of '${owner}'`} in this file`);
      owners.set(name, spec.id);
    }
    models.push({ spec, digest: seedDigest(spec) });
  }
  return { path, prune: result.data.prune, models };
}

export function readCatalogFile(path: string, policy: CredentialPolicy): CatalogFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CatalogFileError(path, null, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseCatalogFile(path, text, policy);
}
