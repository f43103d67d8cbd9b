import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const at = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Tests import workspace packages from source, so `vitest run` needs no build step.
const alias = {
  '@shoal/protocol': at('./protocol/src/index.ts'),
  '@shoal/http-object': at('./http-object/src/index.ts'),
  '@shoal/origin': at('./origin/src/index.ts'),
  '@shoal/edge': at('./edge/src/index.ts'),
  '@shoal/player-sdk': at('./player-sdk/src/index.ts'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: [at('./scripts/vitest-build.ts')],
    projects: ['protocol', 'http-object', 'origin', 'edge', 'player-sdk', 'loadtest'].map((name) => ({
      resolve: { alias },
      test: {
        name,
        root: at(`./${name}`),
        include: ['src/**/*.test.ts', 'test/**/*.test.ts', '*/**/*.test.ts'],
        exclude: ['**/node_modules/**', '**/dist/**'],
        passWithNoTests: true,
        environment: 'node',
        testTimeout: 60_000,
        hookTimeout: 120_000,
      },
    })),
  },
});
