import { Agent, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface OriginResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
}

/** Why the origin could not answer: `timeout` maps to 504, `unreachable` to 502. */
export class OriginFailure extends Error {
  constructor(
    readonly kind: 'timeout' | 'unreachable',
    message: string,
  ) {
    super(message);
    this.name = 'OriginFailure';
  }
}

/** Requests to one origin over kept-alive connections, with a timeout on every silence. */
export class OriginClient {
  private readonly agent: Agent;

  constructor(
    private readonly base: URL,
    private readonly timeoutMs: number,
    maxSockets = 256,
  ) {
    if (base.protocol !== 'http:') throw new Error(`origin URL must be http://, got ${base.protocol}`);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** GET (or HEAD) `path` at the origin; rejects with OriginFailure when it is unreachable or silent too long. */
  fetch(path: string, headers: Record<string, string>): Promise<OriginResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port || 80,
          path: this.base.pathname.replace(/\/$/, '') + path,
          method: 'GET',
          headers,
          agent: this.agent,
        },
        (res) => {
          res.setTimeout(this.timeoutMs, () => res.destroy(new OriginFailure('timeout', 'origin stalled mid-response')));
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new OriginFailure('timeout', `origin did not answer within ${this.timeoutMs} ms`)));
      req.on('error', (error) => reject(error instanceof OriginFailure ? error : new OriginFailure('unreachable', error.message)));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
