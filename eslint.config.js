import js from '@eslint/js';
import * as espree from 'espree';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'loadtest/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // k6 scripts run in k6's JavaScript runtime, which provides these globals. k6 v0.48, the oldest we
    // support, compiles ES2017 plus modules: no object spread, optional catch binding or optional chaining.
    files: ['loadtest/k6/**/*.js'],
    languageOptions: { parser: espree, ecmaVersion: 2017, sourceType: 'module', globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly' } },
  },
  {
    // Plain JavaScript scripts run by Node (build and demo helpers).
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The SDK's folders depend one way: core → signaling → util. The core is player-agnostic: it knows
    // neither hls.js nor its adapter.
    files: ['player-sdk/src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['hls.js', 'hls.js/*', '../hlsjs/*', '**/hlsjs/*'], message: 'The core is player-agnostic: adapters import the core, never the reverse.' }] }],
    },
  },
  {
    files: ['player-sdk/src/signaling/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['hls.js', 'hls.js/*', '../core/*', '../hlsjs/*', '**/core/*', '**/hlsjs/*'], message: 'Signaling depends on util/ and the protocol only.' }] }],
    },
  },
  {
    files: ['player-sdk/src/util/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['hls.js', 'hls.js/*', '../core/*', '../signaling/*', '../hlsjs/*', '**/core/*', '**/signaling/*', '**/hlsjs/*', '@shoal/*'], message: 'util/ is generic: it imports nothing of the SDK.' }] }],
    },
  },
  {
    // ES2017 has no optional catch binding: k6 scripts name the error they ignore `_error`.
    files: ['loadtest/k6/**/*.js'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // Plain JavaScript parsed by espree: there are no type imports to be consistent about.
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
);
