/** Coded errors of the player SDK. */
export const SDK_ERRORS = {
  SHOAL_ERR_HTTP: 'HTTP request for a segment failed',
  SHOAL_ERR_ABORTED: 'load aborted',
  SHOAL_ERR_INTEGRITY: 'peer-delivered bytes do not match the playlist digest',
  SHOAL_ERR_PEER_PROTOCOL: 'a peer broke the peer protocol',
  SHOAL_ERR_PEER_GONE: 'peer went away during a transfer',
  SHOAL_ERR_SIZE_CONFLICT: 'the origin contradicts a size a peer declared',
  SHOAL_ERR_DESTROYED: 'engine destroyed',
  SHOAL_ERR_OPTIONS: 'invalid option',
  SHOAL_ERR_NO_WEBCRYPTO: 'no Web Crypto here (insecure context): HTTP only',
  SHOAL_ERR_INTERNAL: 'internal fault; loaded over HTTP',
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
