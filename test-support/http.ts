import { request } from 'node:http';

export interface HttpResponse<Body> {
  status: number;
  headers: Record<string, unknown>;
  body: Body;
}

/** One HTTP request on a fresh connection (no agent, so no keep-alive between requests); the body as bytes. */
export function httpRequest(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResponse<Buffer>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A `GET` on a fresh connection; the body as UTF-8 text. */
export async function httpGet(url: string, headers: Record<string, string> = {}): Promise<HttpResponse<string>> {
  const res = await httpRequest(url, headers);
  return { ...res, body: res.body.toString('utf8') };
}
