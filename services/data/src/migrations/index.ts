// Migrations of the `data` schema, oldest first. The schema itself is created by
// @vectorstack/database before these run; tables arrive with the service's capabilities.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [];
