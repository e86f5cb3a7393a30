/**
 * Every code img reports, in errors (`{"error", "code"}` with --format json) and in warnings.
 * Scripts branch on these, so a code never changes meaning; the README lists them from here
 * (a test keeps the two equal). The exit status belongs to the code: 2 for usage, 3 for an image
 * or alias that is not in the local store (imgadm's ImageNotInstalled), 1 for everything else.
 */
export const ERROR_CODES = {
  // command line
  Usage: {exit: 2, summary: 'bad flags or arguments'},
  UnknownStockTemplates: {exit: 2, summary: 'publish --stock-templates names a set img does not have'},
  IsDirectory: {exit: 2, summary: 'a directory was given where a file is needed'},
  NotDirectory: {exit: 2, summary: 'a file was given where a directory is needed'},
  Internal: {exit: 1, summary: 'a bug in img: the message says how to see its stack (--debug)'},
  // files the user named
  FileNotFound: {exit: 1, summary: 'a file or directory named does not exist'},
  PermissionDenied: {exit: 1, summary: 'a file or directory named cannot be read or written'},
  NoSpace: {exit: 1, summary: 'the disk is full'},
  TooLarge: {exit: 1, summary: 'input read into memory (an edited record) is over its size limit'},
  EditorFailed: {exit: 1, summary: 'the editor started by img image edit exited with an error'},
  ToolMissing: {exit: 1, summary: 'a system tool img runs (zstd, bzip2, mksquashfs…) is not installed'},
  ToolFailed: {exit: 1, summary: 'a system tool img runs failed'},
  FileChanged: {exit: 1, summary: 'a file of the tree being packed changed meanwhile (grew, shrank or was replaced)'},
  // the store
  ImageNotFound: {exit: 3, summary: 'no image has that alias, fingerprint or fingerprint prefix'},
  AliasNotFound: {exit: 3, summary: 'no such alias'},
  AmbiguousPrefix: {exit: 1, summary: 'a fingerprint prefix matches more than one image'},
  ImageExists: {exit: 1, summary: 'an image with the same fingerprint is already in the store'},
  AliasExists: {exit: 1, summary: 'the alias already names an image'},
  InvalidAlias: {exit: 1, summary: 'an alias name is empty, has a ":" or control characters'},
  PropertyNotFound: {exit: 1, summary: 'the image has no such property'},
  ProfileNotFound: {exit: 1, summary: 'an edit names a profile img does not know'},
  Immutable: {exit: 1, summary: 'an edit changes a field that cannot change (fingerprint, architecture, type, created_at)'},
  InvalidYaml: {exit: 1, summary: 'an edit is not YAML of the expected shape'},
  InvalidTime: {exit: 1, summary: 'a time is not RFC 3339'},
  SplitToStdout: {exit: 1, summary: 'a split image (two files) cannot be written to stdout'},
  StoreDamaged: {exit: 1, summary: 'a record or the alias table in the store cannot be read'},
  // remotes and sources
  RemoteNotFound: {exit: 1, summary: 'no remote of that name'},
  UnknownProtocol: {exit: 1, summary: 'a remote speaks a protocol img does not know'},
  SizeMismatch: {exit: 1, summary: 'a file does not have the size its source declared'},
  HashMismatch: {exit: 1, summary: 'a file does not have the sha256 its source declared'},
  FingerprintMismatch: {exit: 1, summary: 'an image does not have the fingerprint its source declared'},
  RemoteExists: {exit: 1, summary: 'a remote of that name is already configured'},
  RemoteStatic: {exit: 1, summary: 'the remote is built in (local) and cannot be changed or removed'},
  InvalidRemoteUrl: {exit: 1, summary: 'a remote URL is not an http(s) URL img can use'},
  UntrustedCertificate: {exit: 1, summary: "an LXD server's certificate is not trusted: accept it with img remote add --accept-certificate"},
  RemoteUnreachable: {exit: 1, summary: 'a remote could not be reached (connection, DNS or TLS failure, timeout)'},
  HttpError: {exit: 1, summary: 'a remote answered with an HTTP error status'},
  RedirectRefused: {exit: 1, summary: 'a remote redirected to another scheme, or too many times'},
  ResponseTooLarge: {exit: 1, summary: 'an index, products file or API answer is over its size limit'},
  InvalidFeed: {exit: 1, summary: 'a simplestreams index or products file, or a server answer, is not of the expected shape'},
  InvalidMultipart: {exit: 1, summary: 'a split export from an LXD server is not the multipart body LXD sends'},
  MissingHeader: {exit: 1, summary: 'a direct-URL server did not send LXD-Image-Hash or LXD-Image-URL'},
  InvalidKeyring: {exit: 1, summary: 'a --keyring file holds no OpenPGP public key'},
  NotSigned: {exit: 1, summary: 'a remote with a keyring served an index or products file that is not signed'},
  BadSignature: {exit: 1, summary: 'a signed index or products file does not verify against the remote keyring'},
  UnknownConfigKey: {exit: 1, summary: 'img config names a key img does not have'},
  InvalidConfigValue: {exit: 1, summary: "a config value is not of the key's type or range"},
  ConfigDamaged: {exit: 1, summary: "img's config file cannot be read"},
  // simplestreams trees and img serve
  NotExpressible: {exit: 1, summary: 'an image cannot be written in the chosen simplestreams flavour (the message says why)'},
  TreeMismatch: {exit: 1, summary: 'img simplestreams verify found files missing or differing from what the index says (one line each)'},
  AddressUnavailable: {exit: 1, summary: 'img serve cannot listen on that address (in use, or not one of this host)'},
  // object and directory storage
  BlobNotFound: {exit: 1, summary: 'no object under that key'},
  InvalidBlobKey: {exit: 1, summary: 'an object key is empty, absolute, has ".", ".." or reserved segments, or cannot be a path in that store'},
  InvalidRange: {exit: 1, summary: 'a byte range starts past the end of the object'},
  // image files
  EmptyFile: {exit: 1, summary: 'an image file is empty'},
  UnsupportedCompression: {exit: 1, summary: 'not a tarball, squashfs or qcow2 in a compression LXD reads'},
  NotATarball: {exit: 1, summary: 'a unified image or metadata file is not a tarball'},
  CorruptArchive: {exit: 1, summary: 'compressed data or tar structure is damaged or truncated'},
  MissingMetadata: {exit: 1, summary: 'the tarball has no metadata.yaml'},
  InvalidMetadata: {exit: 1, summary: 'metadata.yaml is not what LXD accepts (syntax, types, encoding)'},
  MetadataTooLarge: {exit: 1, summary: 'metadata.yaml is over 1 MiB'},
  MetadataTooComplex: {exit: 1, summary: 'metadata.yaml expands past the node limit (a YAML bomb)'},
  UnsupportedArchitecture: {exit: 1, summary: 'metadata.yaml names an architecture LXD does not know'},
  MissingCreationDate: {exit: 1, summary: 'metadata.yaml has no creation_date'},
  DateOutOfRange: {exit: 1, summary: 'a date in metadata.yaml is outside the years 0000-9999'},
  InvalidInstanceType: {exit: 1, summary: 'a unified tarball has neither rootfs/ nor rootfs.img'},
  // warnings (errors only in strict mode)
  TemplateMissing: {exit: 1, summary: 'warning: metadata.yaml names a template file the image does not have'},
  CleanupFailed: {exit: 1, summary: 'warning: an original file could not be removed after import --move'},
  PlainHttp: {exit: 1, summary: 'warning: a remote is reached over plain http, unauthenticated'},
  StaleIndex: {exit: 1, summary: "warning: a remote could not be reached, so img used its cached copy of the remote's index"},
  FeedEntrySkipped: {exit: 1, summary: 'warning: a product, version or item of a feed could not be read and was left out'},
} as const satisfies Record<string, {exit: 1 | 2 | 3; summary: string}>;

export type ErrorCode = keyof typeof ERROR_CODES;
