import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: builds the workspace first (`tsc -b`, incremental, then the SDK's browser bundles),
 * because some tests run the compiled command-line programs as child processes, the way users run them,
 * and the browser tests load the SDK bundle.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-b'], {
    cwd: root,
    stdio: 'inherit',
  });
  execFileSync(process.execPath, [fileURLToPath(new URL('../player-sdk/build.mjs', import.meta.url))], { cwd: root, stdio: 'inherit' });
}
