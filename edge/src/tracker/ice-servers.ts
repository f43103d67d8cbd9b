import { createHmac, randomBytes } from 'node:crypto';
import { formatAnnounceReplyExtension, type IceServerEntry } from '@shoal/protocol';

/** What the edge hands out: STUN for every connection, TURN with shared-secret credentials when configured. */
export interface IceServerSettings {
  readonly stunUrls: readonly string[];
  readonly turnUrls: readonly string[];
  /** coturn's `static-auth-secret`; required with `turnUrls`. */
  readonly turnSecret: string | undefined;
  /** Lifetime of TURN credentials. */
  readonly turnTtlSeconds: number;
}

/**
 * TURN credentials in coturn's shared-secret form (the "TURN REST API"): the username is
 * `<expiry unix seconds>:<session id>`, the password base64(HMAC-SHA1(secret, username)). coturn started with
 * `use-auth-secret` and the same `static-auth-secret` checks them without any per-user state, and refuses them
 * after the expiry: no long-lived password ever reaches a page.
 */
export function turnCredentials(secret: string, ttlSeconds: number, nowMs: number, sessionId: string): { username: string; credential: string } {
  const expiry = Math.floor(nowMs / 1000) + Math.max(1, Math.floor(ttlSeconds));
  const username = `${expiry}:${sessionId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The ICE servers for one tracker connection; empty when none are configured. */
export function iceServersFor(settings: IceServerSettings, nowMs: number, sessionId: string): IceServerEntry[] {
  const servers: IceServerEntry[] = [];
  if (settings.stunUrls.length > 0) servers.push({ urls: [...settings.stunUrls] });
  if (settings.turnUrls.length > 0 && settings.turnSecret !== undefined) {
    servers.push({ urls: [...settings.turnUrls], ...turnCredentials(settings.turnSecret, settings.turnTtlSeconds, nowMs, sessionId) });
  }
  return servers;
}

/**
 * One connection's announce-reply extension, serialized once and reused for every reply until the TURN
 * credentials have used half their lifetime.
 */
export class ConnectionIceServers {
  private json: string | undefined;
  private renewAt = 0;
  private readonly sessionId = randomBytes(9).toString('base64url');

  constructor(private readonly settings: IceServerSettings) {}

  /** The `shoal` JSON of an announce reply, or undefined when this edge hands out no ICE servers. */
  extensionJson(nowMs: number): string | undefined {
    if (this.settings.stunUrls.length === 0 && this.settings.turnUrls.length === 0) return undefined;
    if (this.json === undefined || nowMs >= this.renewAt) {
      this.json = formatAnnounceReplyExtension({ iceServers: iceServersFor(this.settings, nowMs, this.sessionId) });
      this.renewAt = nowMs + (this.settings.turnTtlSeconds * 1000) / 2;
    }
    return this.json;
  }
}
