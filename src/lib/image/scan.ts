import type {Duplex} from 'node:stream';
import * as tar from 'tar-stream';
import {InvalidImageError} from '../errors.js';
import {createDecompressor} from '../archive/codecs.js';
import type {DetectedFormat} from '../archive/detect.js';
import {decodeMetadata, MAX_METADATA_BYTES, validateMetadata, type ImageMetadata, type ValidMetadata} from './metadata.js';
import type {InstanceType} from './types.js';

export interface ScanResult {
  metadata: ValidMetadata;
  /** From the root marker in a unified tarball; undefined for a split image's metadata tarball. */
  type?: InstanceType;
}

/** The two ways LXD reads an image tarball: a unified image, or a split image's metadata part. */
export type ScanRole = 'unified' | 'metadata';

/** LXD accepts member names with or without a leading "./". */
const memberName = (name: string): string => (name.startsWith('./') ? name.slice(2) : name);

/**
 * Reads an image tarball as bytes are pushed into it, the way LXD does: a unified tarball is
 * decompressed only until metadata.yaml and a root marker (`rootfs/…` → container, `rootfs.img` →
 * virtual machine) have both been seen; a metadata tarball is read to its end (it is small, and
 * LXD refuses a damaged one). metadata.yaml is decoded the moment it is read (malformed YAML is
 * refused at once) and validated when the scan ends, as LXD validates it after its loop; with
 * metadata.yaml first, both happen within the first chunk, not after the whole file.
 */
export class ImageScanner {
  private readonly extract = tar.extract();
  private settled = false;
  private metadata: ImageMetadata | undefined;
  private type: InstanceType | undefined;
  private readonly result: Promise<ScanResult>;
  private failure: unknown;
  /** The decompressor's complaint, held back until the tar reader has seen what was decoded before it. */
  private damage: InvalidImageError | undefined;
  private readonly decompressed: Promise<unknown>;

  private constructor(
    private readonly decompressor: Duplex,
    private readonly role: ScanRole,
    private readonly label: string,
    private readonly format: DetectedFormat,
  ) {
    decompressor.on('error', (err: Error) => {
      // LXD reads through the decompressor until it has what it needs and does not look at how the
      // decompressor ends (bytes after the last gzip member, say): let the tar reader finish with
      // what was decoded, and refuse the image only if that was not enough.
      this.damage ??= this.corrupt(err);
      (this.extract as unknown as NodeJS.WritableStream).end();
    });
    // Noted at once: lzma-native's streams (readable-stream 2) have no readableEnded to ask later.
    this.decompressed = new Promise((resolve) => {
      decompressor.once('end', resolve);
      decompressor.once('close', resolve);
      decompressor.once('error', resolve);
    });
    this.extract.on('error', (err: Error) =>
      this.fail(this.damage ?? new InvalidImageError(`${label}: not a valid tar archive (${err.message})`, 'CorruptArchive', err)),
    );
    decompressor.pipe(this.extract as unknown as NodeJS.WritableStream);
    this.result = this.consume();
    this.result.catch(() => undefined);
  }

  /** A scanner for a tarball in `format` (the caller has checked it is one). */
  static async create(format: DetectedFormat, role: ScanRole, label: string): Promise<ImageScanner> {
    return new ImageScanner(await createDecompressor(format.compression), role, label, format);
  }

  /**
   * Feed the next bytes; resolves when the scanner can take more. Throws the refusal as soon as
   * there is one; once the scanner has what it needs, further bytes are ignored.
   */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    // After damage nothing more can be decoded: the verdict comes from what was.
    if (this.settled || this.damage) return;
    // The caller reuses its buffers; the decompressor may hold on to what it is given.
    if (this.decompressor.write(Buffer.from(chunk))) return;
    await new Promise<void>((resolve) => {
      const go = () => {
        this.decompressor.off('drain', go);
        this.decompressor.off('close', go);
        resolve();
      };
      this.decompressor.on('drain', go);
      this.decompressor.on('close', go);
      this.result.then(go, go);
    });
    if (this.failure) throw this.failure;
  }

  /** No more input: wait for the verdict. */
  async end(): Promise<ScanResult> {
    if (!this.settled && !this.decompressor.writableEnded) this.decompressor.end();
    return this.result;
  }

  /** Stop early (the caller failed): release the decompressor. */
  abort(): void {
    this.settled = true;
    this.teardown();
  }

  private corrupt(err: Error): InvalidImageError {
    return new InvalidImageError(`${this.label}: ${this.format.compression} data is corrupt or truncated (${err.message})`, 'CorruptArchive', err);
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.failure ??= err;
    this.settled = true;
    this.teardown();
  }

  private teardown(): void {
    this.decompressor.unpipe();
    this.decompressor.destroy();
    (this.extract as unknown as {destroy(): void}).destroy();
  }

  private async consume(): Promise<ScanResult> {
    let early = false;
    try {
      for await (const entry of this.extract) {
        const name = memberName(entry.header.name);
        if (name === 'metadata.yaml') {
          // Decoded into what an earlier metadata.yaml left, as LXD does; validated at the end.
          this.metadata = decodeMetadata(await readBounded(entry, entry.header.size ?? 0), this.metadata);
        } else {
          if (this.role === 'unified') {
            if (name.startsWith('rootfs/')) this.type = 'container';
            else if (name === 'rootfs.img') this.type = 'virtual-machine';
          }
          entry.resume();
        }
        if (this.role === 'unified' && this.metadata && this.type) {
          early = true;
          break;
        }
        // settled: aborted by the caller, whose extract will never give another entry.
        if (this.failure || this.settled) break;
      }
    } catch (err) {
      const why =
        err instanceof InvalidImageError
          ? err
          : (this.damage ?? new InvalidImageError(`${this.label}: not a valid tar archive (${(err as Error).message})`, 'CorruptArchive', err));
      this.fail(why);
    }
    if (this.failure) {
      this.settled = true;
      throw this.failure;
    }
    // When the loop ends by itself the whole stream was read; a decompressor error may still be
    // on its way (a truncated xz stream reports at end of input), so wait for the decompressor.
    if (!early && !this.settled) await this.decompressed;
    if (!early && this.damage) this.fail(this.damage);
    if (this.failure) throw this.failure;
    this.settled = true;
    this.teardown();
    if (!this.metadata) throw new InvalidImageError(`${this.label}: Metadata tarball is missing metadata.yaml`, 'MissingMetadata');
    const metadata = validateMetadata(this.metadata);
    if (this.role === 'unified' && !this.type) {
      throw new InvalidImageError(`${this.label}: Invalid instance type: the tarball has neither rootfs/ nor rootfs.img`, 'InvalidInstanceType');
    }
    return this.type ? {metadata, type: this.type} : {metadata};
  }
}

/** Read one tar member into memory, refusing it before reading when it is over the limit. */
async function readBounded(entry: AsyncIterable<unknown>, declared: number): Promise<Buffer> {
  if (declared > MAX_METADATA_BYTES) {
    throw new InvalidImageError(`metadata.yaml is too large (${declared} bytes; the limit is ${MAX_METADATA_BYTES})`, 'MetadataTooLarge');
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const piece of entry) {
    const part = piece as Buffer;
    total += part.length;
    if (total > MAX_METADATA_BYTES) throw new InvalidImageError(`metadata.yaml is too large (over ${MAX_METADATA_BYTES} bytes)`, 'MetadataTooLarge');
    parts.push(part);
  }
  return Buffer.concat(parts, total);
}
