/** The compacted topic the catalog is published on and followed from (tests pass a per-run copy). */
export const CATALOG_TOPIC = Symbol('CATALOG_TOPIC');
/** The catalog's settings (CatalogConfig). */
export const CATALOG_CONFIG = Symbol('CATALOG_CONFIG');
