// Lint rules that keep the architecture honest: `@nx/enforce-module-boundaries` with
// real tags (project.json), so a service can never import another service, libs never
// import services, and only the test-support lib may import the testing lib.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const serviceAndLibLayers = [
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
];

export default [
  {
    ignores: ['**/node_modules/**', '**/dist/**', '.state/**', '.cache/**', '.nx/**', 'libs/contracts/src/gen/**', 'coverage/**'],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            ...serviceAndLibLayers,
            // Production code never pulls in test support.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    // Tests may use the testing lib, console and loose typing where a fixture needs it.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', '**/testing/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, depConstraints: serviceAndLibLayers }],
    },
  },
];
