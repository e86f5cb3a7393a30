/**
 * img's library: read, build, fingerprint and store LXD-style images. The CLI is a thin layer
 * over these; nothing here writes to the console or exits the process.
 *
 * @example
 * ```ts
 * import {Store, readImage} from 'img';
 * const {fingerprint} = await readImage([{path: 'image.tar.xz'}], {scan: false});
 * const image = await new Store().importImage([{path: 'image.tar.xz'}], {aliases: ['mine']});
 * ```
 */
export {detectFormat, requireFormat, type Compression, type DetectedFormat, type PayloadKind} from './archive/detect.js';
export {WRITE_COMPRESSIONS, type WriteCompression} from './archive/codecs.js';
export {EXIT_NOT_FOUND, EXIT_USAGE, InvalidImageError, NotFoundError, UsageError, UserError, isUserError} from './errors.js';
export {canonicalArchitecture, hostArchitecture} from './image/architectures.js';
export {buildImage, type BuildOptions, type BuiltImage} from './image/build.js';
export {applyImagePut, imagePut, type ImagePut} from './image/edit.js';
export {exportImage, exportTargets, exportToStream} from './image/export.js';
export {imageMatches} from './image/filter.js';
export {MAX_METADATA_BYTES, parseMetadata, renderMetadata, type ImageMetadata, type TemplateEntry, type ValidMetadata} from './image/metadata.js';
export {publishImage, type PublishOptions, type PublishResult} from './image/publish.js';
export {readImage, type FileRole, type ImageSource, type ReadImageResult} from './image/read-image.js';
export {verifyImage, type VerifyResult} from './image/verify.js';
export {exportNames, toLxdImage, type AliasEntry, type ImageRecord, type ImageView, type StoredFile} from './store/record.js';
export {imgHome, storePaths} from './store/paths.js';
export {Store, type ImportOptions} from './store/store.js';
