import {mkdir} from 'node:fs/promises';
import {buildImage, type BuildOptions, type BuiltImage} from '../image/build.js';
import type {ImageView} from '../image/types.js';
import {checkNewAliases} from './alias-table.js';
import {exportImage, type ExportedFile} from './export.js';
import {newRecord} from './record.js';
import type {Store} from './store.js';

export interface PublishOptions extends BuildOptions {
  aliases?: string[];
  public?: boolean;
  /** Also write exactly the image files here, named as `img image export` names them. */
  output?: string;
}

export interface PublishResult {
  image: ImageView;
  built: BuiltImage;
  /** The same image (same fingerprint) was already in the store; it is kept as it was. */
  existed: boolean;
  output: ExportedFile[];
}

/**
 * Build an image from a root filesystem tree and add it to the store. Publishing the same input
 * twice gives the same fingerprint, so the second time finds the image already there and only
 * (re)points the aliases, as lxc publish points an existing alias at the new image.
 */
export async function publishImage(store: Store, opts: PublishOptions): Promise<PublishResult> {
  const aliases = opts.aliases ?? [];
  checkNewAliases(aliases);
  const work = await store.createWork('publish');
  try {
    const built = await buildImage(work.path, opts);
    const record = newRecord(built, {public: opts.public ?? false, properties: {}, filename: ''});
    const {view, existed} = await store.commit(work, record, {aliases, ifExists: 'keep'});
    let output: ExportedFile[] = [];
    if (opts.output) {
      await mkdir(opts.output, {recursive: true});
      output = await exportImage(store, view, opts.output);
    }
    return {image: view, built, existed, output};
  } finally {
    await work.dispose();
  }
}
