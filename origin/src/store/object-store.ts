import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LRUCache } from 'lru-cache';
import { OriginError } from '../errors.js';

/** What the store knows of an object without reading it. */
export interface ObjectMeta {
  readonly size: number;
  readonly sha256: Buffer;
  readonly mtime: Date;
}

export interface ObjectStoreOptions {
  /** Directory everything is written under; created if missing. */
  readonly root: string;
  /** Bytes of hot objects kept in memory. */
  readonly hotCacheBytes: number;
  /** Objects larger than this are always streamed from disk. */
  readonly maxHotObjectBytes: number;
}

const TEMP_PREFIX = '.partial-';

/**
 * Objects on disk under one root, addressed by already-validated path components, with the hot ones in
 * memory. Writes land in a temporary file that is renamed into place only once complete, so a reader
 * never sees half an object and an interrupted upload leaves nothing behind.
 */
export class ObjectStore {
  readonly root: string;
  private readonly hot: LRUCache<string, Buffer>;
  private readonly metas = new Map<string, ObjectMeta>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly maxHotObjectBytes: number;

  constructor(options: ObjectStoreOptions) {
    this.root = resolve(options.root);
    this.maxHotObjectBytes = options.maxHotObjectBytes;
    this.hot = new LRUCache<string, Buffer>({
      maxSize: Math.max(1, options.hotCacheBytes),
      sizeCalculation: (value) => Math.max(1, value.length),
    });
  }

  /** Absolute path of an object; refuses anything that would resolve outside the root. */
  pathOf(parts: readonly string[]): string {
    const full = resolve(join(this.root, ...parts));
    if (!full.startsWith(this.root + sep)) throw new OriginError('SHOAL_ERR_BAD_PATH', 'path leaves the store');
    return full;
  }

  private keyOf(parts: readonly string[]): string {
    return parts.join('/');
  }

  /**
   * Streams `source` into the object at `parts`, hashing as it goes. Rejects with SHOAL_ERR_TOO_LARGE past
   * `maxBytes` and with SHOAL_ERR_INCOMPLETE_BODY when the source fails or ends early; in both cases the
   * previous version of the object, if any, is untouched.
   */
  write(parts: readonly string[], source: Readable, maxBytes: number): Promise<ObjectMeta> {
    // Readers of this key wait for the upload to settle: an encoder that pipelines requests on one
    // connection may publish a playlist naming the segment before the segment's rename has happened.
    const key = this.keyOf(parts);
    const writing = this.writeNow(parts, source, maxBytes);
    const settled = writing.then(
      () => undefined,
      () => undefined,
    );
    this.pending.set(key, settled);
    void settled.then(() => {
      if (this.pending.get(key) === settled) this.pending.delete(key);
    });
    return writing;
  }

  private async writeNow(parts: readonly string[], source: Readable, maxBytes: number): Promise<ObjectMeta> {
    const target = this.pathOf(parts);
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    const keepInMemory = this.maxHotObjectBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > maxBytes) {
          callback(new OriginError('SHOAL_ERR_TOO_LARGE', `object larger than ${maxBytes} bytes`));
          return;
        }
        hash.update(chunk);
        if (size <= keepInMemory) chunks.push(chunk);
        callback(null, chunk);
      },
    });
    const file = await open(temp, 'wx');
    try {
      await pipeline(source, meter, file.createWriteStream());
    } catch (error) {
      await rm(temp, { force: true });
      if (error instanceof OriginError) throw error;
      throw new OriginError('SHOAL_ERR_INCOMPLETE_BODY', 'upload ended before the body was complete');
    }
    await rename(temp, target);
    const meta: ObjectMeta = { size, sha256: hash.digest(), mtime: new Date() };
    const key = this.keyOf(parts);
    this.metas.set(key, meta);
    if (size <= keepInMemory) this.hot.set(key, Buffer.concat(chunks, size));
    else this.hot.delete(key);
    return meta;
  }

  /** Writes a small object from memory, atomically. */
  async writeBuffer(parts: readonly string[], body: Buffer): Promise<ObjectMeta> {
    return this.write(parts, Readable.from([body]), body.length);
  }

  async remove(parts: readonly string[]): Promise<boolean> {
    const key = this.keyOf(parts);
    this.hot.delete(key);
    this.metas.delete(key);
    const target = this.pathOf(parts);
    try {
      await rm(target);
      return true;
    } catch {
      return false;
    }
  }

  /** Size, digest and time of an object, hashing it from disk once if this process has not seen it yet. */
  async meta(parts: readonly string[]): Promise<ObjectMeta | undefined> {
    const key = this.keyOf(parts);
    await this.pending.get(key);
    const known = this.metas.get(key);
    if (known) return known;
    const path = this.pathOf(parts);
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    const meta: ObjectMeta = { size: info.size, sha256: hash.digest(), mtime: info.mtime };
    this.metas.set(key, meta);
    return meta;
  }

  /** True when the object is present, without hashing it. */
  async has(parts: readonly string[]): Promise<boolean> {
    if (this.metas.has(this.keyOf(parts))) return true;
    try {
      return (await stat(this.pathOf(parts))).isFile();
    } catch {
      return false;
    }
  }

  /** The object's bytes from memory, loading small objects from disk into memory on first use. */
  async body(parts: readonly string[], size: number): Promise<Buffer | ((start: number, end: number) => Readable)> {
    const key = this.keyOf(parts);
    const cached = this.hot.get(key);
    if (cached) return cached;
    const path = this.pathOf(parts);
    if (size <= this.maxHotObjectBytes) {
      const bytes = await readFile(path);
      this.hot.set(key, bytes);
      return bytes;
    }
    return (start, end) => createReadStream(path, { start, end });
  }

  /** Bytes currently held in memory. */
  get hotBytes(): number {
    return this.hot.calculatedSize;
  }
}

/** SHA-256 of `length` bytes at `offset` of a stored object (for EXT-X-BYTERANGE segments). */
export async function rangeDigest(store: ObjectStore, parts: readonly string[], offset: number, length: number): Promise<Buffer | undefined> {
  const meta = await store.meta(parts);
  if (!meta || offset + length > meta.size) return undefined;
  const body = await store.body(parts, meta.size);
  const hash = createHash('sha256');
  if (Buffer.isBuffer(body)) hash.update(body.subarray(offset, offset + length));
  else if (length > 0) await pipeline(body(offset, offset + length - 1), hash);
  return hash.digest();
}
