import { isAbsolute } from 'node:path';
import { loadConfigOrExit, z } from '@vectorstack/config';

/** Variables of the model catalog; the platform shape (PORT, DATABASE_URL, …) is loaded by runHttpService. */
export const catalogConfigShape = {
  /** A YAML file of catalog entries applied at start-up (see the README, "Model catalog seed file"). */
  ROUTER_CATALOG_FILE: z.string().min(1).optional(),
  /** Directories `file:` credential references may point into (comma-separated, absolute). */
  ROUTER_CREDENTIAL_DIRS: z
    .string()
    .default('/var/run/secrets,/run/secrets')
    .transform((value) => value.split(',').map((dir) => dir.trim().replace(/\/+$/, '')).filter(Boolean))
    .refine((dirs) => dirs.every((dir) => isAbsolute(dir)), { message: 'must be a comma-separated list of absolute directories' }),
  /** How long start-up waits for the catalog to be read from Kafka before serving anyway. */
  ROUTER_CATALOG_CATCH_UP_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
};

export type CatalogConfig = z.infer<z.ZodObject<typeof catalogConfigShape>>;

/** Validated before any module is built: a bad variable stops the process with one line naming it. */
export function loadCatalogConfig(env: Record<string, string | undefined> = process.env): CatalogConfig {
  return loadConfigOrExit(catalogConfigShape, env);
}
