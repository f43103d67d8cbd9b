// Both browsers and Node have these globals; ES2022's lib does not declare them, and this package
// deliberately compiles without DOM or Node types so that it cannot depend on either.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
