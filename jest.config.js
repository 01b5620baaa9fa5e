// Four projects: unit specs beside the code, integration specs beside the code that need
// real Postgres/Redis/Kafka, end-to-end suites that drive the running platform, and chaos
// suites that break shared infrastructure (tools/test.mjs runs those alone, after the rest).
// `npm test` provides the infrastructure and the environment (DATABASE_URL, REDIS_URL, ...).
const { readFileSync } = require('node:fs');

const swcrc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.$schema;

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, sourceMaps: 'inline', swcrc: false }] },
  moduleNameMapper: { '^@vectorstack/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts' },
  modulePathIgnorePatterns: ['<rootDir>/.state/', '<rootDir>/.cache/', '<rootDir>/.*/dist/'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/.state/', '<rootDir>/.cache/'],
};

module.exports = {
  // Jest 30 reads the timeout from the top level only; integration and e2e tests talk to real
  // services and may wait on rebalances or process restarts.
  testTimeout: 120_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{libs,services,tools,deploy}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services,tools,deploy,helm}/**/*.int-spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
    },
    // Suites that break shared infrastructure on purpose (e.g. stop Kafka): run alone, last.
    {
      ...shared,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
    },
  ],
};
