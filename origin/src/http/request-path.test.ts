import { describe, expect, it } from 'vitest';
import { OriginError } from '../errors.js';
import { parseSafePath, parseStreamName } from './request-path.js';

describe('parseSafePath', () => {
  it('splits and decodes ordinary paths', () => {
    expect(parseSafePath('/demo/0/seg_00001.ts')).toEqual(['demo', '0', 'seg_00001.ts']);
    expect(parseSafePath('/demo/index.m3u8?token=x')).toEqual(['demo', 'index.m3u8']);
    expect(parseSafePath('/my%2Dstream/a.ts')).toEqual(['my-stream', 'a.ts']);
  });

  it.each([
    ['/../etc/passwd'],
    ['/demo/../../x.ts'],
    ['/demo/%2e%2e/x.ts'],
    ['/demo/%2E%2E%2Fx.ts'],
    ['/demo/..%2fx.ts'],
    ['/demo/a%2fb.ts'],
    ['/demo/a%5cb.ts'],
    ['/demo/a\\b.ts'],
    ['//etc/passwd'],
    ['/demo//x.ts'],
    ['/demo/.hidden.ts'],
    ['/demo/x.ts%00.m3u8'],
    ['/demo/%zz.ts'],
    ['/'],
    ['/a/b/c/d/e.ts'],
    [`/${'a'.repeat(200)}.ts`],
  ])('refuses %s', (path) => {
    expect(() => parseSafePath(path)).toThrow(OriginError);
    try {
      parseSafePath(path);
    } catch (error) {
      expect((error as OriginError).code).toBe('SHOAL_ERR_BAD_PATH');
      expect((error as OriginError).status).toBe(400);
    }
  });

  it('takes a stream name only as one component', () => {
    expect(parseStreamName('news')).toBe('news');
    expect(() => parseStreamName('a/b')).toThrow(OriginError);
  });
});
