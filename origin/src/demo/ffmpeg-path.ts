import { accessSync, chmodSync, constants } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The ffmpeg to run: an explicit path (option or SHOAL_FFMPEG) wins; otherwise the binary that
 * `@ffmpeg-installer/ffmpeg` put inside node_modules, made executable if the package manager skipped its
 * install script.
 */
export function resolveFfmpegPath(explicit?: string): string {
  const chosen = explicit ?? process.env.SHOAL_FFMPEG;
  if (chosen) return chosen;
  const require = createRequire(import.meta.url);
  const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
  try {
    accessSync(installer.path, constants.X_OK);
  } catch {
    chmodSync(installer.path, 0o755);
  }
  return installer.path;
}
