// One Jest run, three projects: unit specs beside the code, integration specs
// beside the code that need real Postgres/Redis/Kafka, and end-to-end suites
// that drive the running platform. `npm test` (tools/test.mjs) provides the
// infrastructure and the environment (DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ...).
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
  ],
};
