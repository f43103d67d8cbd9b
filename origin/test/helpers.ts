import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pino from 'pino';
import { createOrigin, startOriginServer, type Origin, type OriginOptions, type OriginServer } from '@shoal/origin';

export const TOKEN = 'test-ingest-token-1234';

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `shoal-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface TestOrigin {
  readonly origin: Origin;
  readonly server: OriginServer;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A real origin on a free loopback port, logging nothing. */
export async function startTestOrigin(options: Partial<OriginOptions>): Promise<TestOrigin> {
  const origin = await createOrigin(options, { logger: pino({ level: 'silent' }) });
  const server = await startOriginServer(origin, 0, '127.0.0.1');
  return { origin, server, url: server.url, port: Number(new URL(server.url).port), close: () => server.close() };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** An HTTP request with the path sent exactly as given (fetch would normalise `..` away). */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: Buffer | string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function sha256Base64Url(bytes: Buffer | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

/** Every file under `dir`, relative, sorted: a snapshot to prove that a refused request wrote nothing. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(at, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(relative(dir, full));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Pairs each segment URI of a media playlist with the digest written before it. */
export function digestsOf(playlist: string): Map<string, string> {
  const result = new Map<string, string>();
  let digest: string | undefined;
  for (const line of playlist.split('\n')) {
    if (line.startsWith('#EXT-X-SHOAL-DIGEST:SHA-256=')) digest = line.slice('#EXT-X-SHOAL-DIGEST:SHA-256='.length);
    else if (line !== '' && !line.startsWith('#')) {
      if (digest !== undefined) result.set(line, digest);
      digest = undefined;
    }
  }
  return result;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
