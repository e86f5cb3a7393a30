import {NotFoundError} from '../errors.js';
import {expectedFileSha256} from '../image/fingerprint.js';
import type {FileRole, ImageSource, ImageView} from '../image/types.js';
import {listAliases} from '../store/aliases.js';
import {exportNames} from '../store/export.js';
import {resolveImage} from '../store/resolve.js';
import type {Store} from '../store/store.js';
import type {ResolveWant, Source, SourceFile} from './source.js';

/** The local store as a Source: what `local:` names. */
export class LocalSource implements Source {
  readonly protocol = 'local';

  constructor(
    readonly store: Store,
    readonly remote = 'local',
  ) {}

  list(): Promise<ImageView[]> {
    return this.store.list();
  }

  aliases() {
    return listAliases(this.store);
  }

  /** An alias names exactly one local image: `want` only refuses one of another architecture or type. */
  async resolve(name: string, want: ResolveWant = {}): Promise<ImageView> {
    const image = await resolveImage(this.store, name);
    for (const key of ['architecture', 'type'] as const) {
      const wanted = want[key];
      if (wanted !== undefined && image[key] !== wanted) throw new NotFoundError(`Image "${name}" not found for ${key} ${wanted} (it is ${image[key]})`);
    }
    return image;
  }

  async info(fingerprint: string): Promise<ImageView> {
    const image = await this.store.view(fingerprint);
    if (!image) throw new NotFoundError(`Image "${fingerprint}" not found`);
    return image;
  }

  async open(image: ImageView, role: FileRole): Promise<SourceFile> {
    const file = image.files.find((f) => f.role === role);
    if (!file) throw new NotFoundError(`Image "${image.fingerprint}" has no ${role} file`);
    const sha256 = expectedFileSha256(image, file);
    const opened: SourceFile = {stream: this.store.readStream(image.fingerprint, role), name: exportNames(image).get(role)!, size: file.size};
    if (sha256) opened.sha256 = sha256;
    return opened;
  }

  /** A local image needs no download: its stored files are the sources (a copy between two stores reads them in place). */
  async download(image: ImageView): Promise<ImageSource[]> {
    return image.files.map((file) => {
      const sha256 = expectedFileSha256(image, file);
      return {path: this.store.filePath(image.fingerprint, file.role), size: file.size, ...(sha256 ? {sha256} : {})};
    });
  }
}
