import {homedir} from 'node:os';
import {join, resolve} from 'node:path';

/** Where img keeps its state: $IMG_HOME, else ${XDG_DATA_HOME:-~/.local/share}/img. */
export function imgHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IMG_HOME) return resolve(env.IMG_HOME);
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'img');
}

export interface StorePaths {
  home: string;
  /** One directory per image, named by fingerprint: image.json and the image files. */
  images: string;
  /** Work in progress; on the same filesystem as images/ so finished work is renamed into place. */
  tmp: string;
  /** Partial downloads, kept across failures so that a retry resumes them (cleanTmp leaves them). */
  downloads: string;
  /** alias name → image */
  aliases: string;
  /** The store lock (an OFD lock on this file). */
  lock: string;
}

export function storePaths(home: string = imgHome()): StorePaths {
  return {
    home,
    images: join(home, 'images'),
    tmp: join(home, 'tmp'),
    downloads: join(home, 'tmp', 'downloads'),
    aliases: join(home, 'aliases.json'),
    lock: join(home, 'store.lock'),
  };
}
