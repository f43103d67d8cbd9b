import { CodedError } from '@shoal/http-object';

/** Every error the origin answers with, each with its HTTP status. Clients get `{ error: { code, message } }`. */
export const ORIGIN_ERRORS = {
  SHOAL_ERR_BAD_PATH: 400,
  SHOAL_ERR_BAD_PLAYLIST: 400,
  SHOAL_ERR_BAD_RANGE: 416,
  SHOAL_ERR_UNAUTHORIZED: 401,
  SHOAL_ERR_FORBIDDEN: 403,
  SHOAL_ERR_INGEST_DISABLED: 403,
  SHOAL_ERR_NOT_FOUND: 404,
  SHOAL_ERR_METHOD_NOT_ALLOWED: 405,
  SHOAL_ERR_TOO_LARGE: 413,
  SHOAL_ERR_UNSUPPORTED_TYPE: 415,
  SHOAL_ERR_INCOMPLETE_BODY: 400,
  SHOAL_ERR_INTERNAL: 500,
} as const;

export type OriginErrorCode = keyof typeof ORIGIN_ERRORS;

export class OriginError extends CodedError<OriginErrorCode> {
  constructor(code: OriginErrorCode, message: string) {
    super(code, ORIGIN_ERRORS[code], message);
    this.name = 'OriginError';
  }
}

export function isOriginError(error: unknown): error is OriginError {
  return error instanceof OriginError;
}
