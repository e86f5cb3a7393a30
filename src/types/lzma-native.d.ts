// lzma-native ships no types; this covers the part img uses.
declare module 'lzma-native' {
  import type {Duplex} from 'node:stream';
  export const CHECK_CRC32: number;
  export const CHECK_CRC64: number;
  export interface StreamOptions {
    preset?: number;
    threads?: number;
    check?: number;
    memlimit?: number;
    synchronous?: boolean;
    blockSize?: number;
  }
  export function createStream(coder: 'easyEncoder' | 'autoDecoder' | 'aloneDecoder' | 'streamDecoder', options?: StreamOptions): Duplex;
  const lzma: {
    CHECK_CRC32: number;
    CHECK_CRC64: number;
    createStream: typeof createStream;
  };
  export default lzma;
}
