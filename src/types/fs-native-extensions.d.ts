// fs-native-extensions ships no types; these are the lock functions img uses. On Linux they are
// open-file-description locks (F_OFD_SETLK), released by the kernel when the holder dies.
declare module 'fs-native-extensions' {
  export function tryLock(fd: number, opts?: {shared?: boolean}): boolean;
  export function waitForLock(fd: number, opts?: {shared?: boolean}): Promise<void>;
}
