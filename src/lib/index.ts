/**
 * img's library: read, build, fingerprint and store LXD-style images. The CLI is a thin layer
 * over these; nothing here writes to the console or exits the process.
 *
 * @example
 * ```ts
 * import {Store, importImage, readImage} from 'img';
 * const {fingerprint} = await readImage([{path: 'image.tar.xz'}], {scan: false});
 * const image = await importImage(new Store(), [{path: 'image.tar.xz'}], {aliases: ['mine']});
 * ```
 */
export {detectFormat, requireFormat, type Compression, type DetectedFormat, type PayloadKind} from './archive/detect.js';
export {WRITE_COMPRESSIONS, type WriteCompression} from './archive/codecs.js';
export {ERROR_CODES, type ErrorCode} from './error-codes.js';
export {EXIT_NOT_FOUND, EXIT_USAGE, InvalidImageError, NotFoundError, UsageError, UserError, isUserError} from './errors.js';
export {warnOrFail, type Warning, type WarnOptions} from './warn.js';
export {imagePut, toLxdImage, type ImagePut} from './image/api.js';
export {canonicalArchitecture, hostArchitecture} from './image/architectures.js';
export {buildImage, type BuildOptions, type BuildProgress, type BuiltImage} from './image/build.js';
export {applyImagePut} from './image/edit.js';
export {fileRoles, FingerprintHasher} from './image/fingerprint.js';
export {imageMatches} from './image/filter.js';
export {MAX_METADATA_BYTES, parseMetadata, renderMetadata, type ImageMetadata, type TemplateEntry, type ValidMetadata} from './image/metadata.js';
export {readImage, type ReadImageResult} from './image/read-image.js';
export type {AliasEntry, FileRole, ImageFile, ImageRecord, ImageSource, ImageView, InstanceType} from './image/types.js';
export {openBlobStore, LocalDirBlobStore, type BlobInfo, type BlobStore, type ByteRange} from './storage/index.js';
export {createAlias, deleteAlias, listAliases, renameAlias} from './store/aliases.js';
export {ensureDigests} from './store/digests.js';
export {exportImage, exportNames, exportTargets, exportToStream} from './store/export.js';
export {importImage, type ImportOptions} from './store/import.js';
export {imgHome, storePaths} from './store/paths.js';
export {publishImage, type PublishOptions, type PublishResult} from './store/publish.js';
export {resolveImage} from './store/resolve.js';
export {Store} from './store/store.js';
export {verifyImage, type VerifyResult} from './store/verify.js';
export {loadConfig, updateConfig, type ImgConfig} from './config/config.js';
export {addRemote, removeRemote, renameRemote, setRemoteUrl, switchRemote} from './config/remotes.js';
export {LocalSource} from './remotes/local.js';
export {LxdSource} from './remotes/lxd.js';
export {SimplestreamsSource} from './remotes/simplestreams.js';
export {Remotes, SOURCE_FACTORIES, type RemoteConfig, type RemotesOptions, type SourceFactory} from './remotes/index.js';
export {copyImage, type CopyOptions, type CopyResult} from './remotes/copy.js';
export {refreshImages, nextCheckDue, type RefreshOptions, type RefreshResult} from './remotes/refresh.js';
export {importFromUrl} from './remotes/url.js';
export {parseRef} from './remotes/ref.js';
export type {DownloadOptions, DownloadTarget, ResolveWant, Source, SourceContext, SourceFile} from './remotes/source.js';
export {parseProducts} from './simplestreams/products.js';
export {pruneImages, type PruneOptions, type PruneResult} from './store/prune.js';
export {loadKeyring, verifyClearsigned, verifyDetached, type Keyring} from './sign/openpgp.js';
