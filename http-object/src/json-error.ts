import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * An error with a stable code for clients and the HTTP status it is answered with. Each server package
 * lists its codes and their statuses in one place and subclasses this with that list's code type.
 */
export class CodedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

/** The body every Shoal server answers an error with: `{ error: { code, message } }`. */
export function jsonErrorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** A JSON answer nobody may cache. `headers` add to or replace the defaults. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

/**
 * Answers `error` with its status and `{ error: { code, message } }`. When the response has started
 * already, the connection is cut instead, so the client cannot take a truncated body for a whole one.
 */
export function sendError(res: ServerResponse, error: CodedError, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}
