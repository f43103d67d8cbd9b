/**
 * Every coded error of the player SDK: each ShoalError thrown, rejected or emitted as a `warning` carries one
 * of these codes. Integrity failures are not errors: the segment is loaded again over HTTP, and the engine
 * emits `integrity-failure`.
 */
export const SDK_ERRORS = {
  SHOAL_ERR_HTTP: 'HTTP request failed',
  SHOAL_ERR_ABORTED: 'load aborted',
  SHOAL_ERR_PEER_PROTOCOL: 'peer protocol broken',
  SHOAL_ERR_PEER_GONE: 'peer gone',
  SHOAL_ERR_PEER_BUSY: 'peer uplink full',
  SHOAL_ERR_SIZE_CONFLICT: 'a peer declared a false size',
  SHOAL_ERR_DESTROYED: 'engine destroyed',
  SHOAL_ERR_OPTIONS: 'invalid option',
  SHOAL_ERR_NO_WEBRTC: 'WebRTC is not available: HTTP only',
  SHOAL_ERR_TRACKER: 'tracker unavailable, or it refused a message',
  SHOAL_ERR_NO_WEBCRYPTO: 'no Web Crypto (insecure context): HTTP only',
  SHOAL_ERR_INTERNAL: 'internal fault: HTTP used',
} as const;

export type SdkErrorCode = keyof typeof SDK_ERRORS;

export class ShoalError extends Error {
  constructor(
    readonly code: SdkErrorCode,
    message: string = SDK_ERRORS[code],
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ShoalError';
  }
}
