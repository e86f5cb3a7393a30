import type {ImageView} from '../../src/lib/image/types.js';

/** An ImageView as img's store hands it over, with LXD's defaults for what is not given. */
export function view(over: Partial<ImageView> & Pick<ImageView, 'fingerprint'>): ImageView {
  return {
    type: 'container',
    architecture: 'x86_64',
    size: 0,
    filename: '',
    properties: {},
    public: false,
    cached: false,
    auto_update: false,
    profiles: ['default'],
    created_at: '2023-11-14T22:13:20Z',
    uploaded_at: '2026-11-24T08:27:04Z',
    last_used_at: '0001-01-01T00:00:00Z',
    expires_at: '1970-01-01T00:00:00Z',
    update_source: null,
    files: [],
    aliases: [],
    ...over,
  };
}

/** Aliases without descriptions, in the order given. */
export const alias = (...names: string[]) => names.map((name) => ({name, description: ''}));

/** The fields of LXD 5.0.2's api.Image, in the order it emits them, then img's `files`. */
export const LXD_IMAGE_FIELDS = [
  'auto_update',
  'properties',
  'public',
  'expires_at',
  'profiles',
  'aliases',
  'architecture',
  'cached',
  'filename',
  'fingerprint',
  'size',
  'type',
  'created_at',
  'last_used_at',
  'uploaded_at',
  'files',
];

/** An image as `--format json` prints it (toLxdImage), for tests that read CLI output. */
export interface ImageJson {
  fingerprint: string;
  type: string;
  architecture: string;
  size: number;
  filename: string;
  public: boolean;
  cached: boolean;
  auto_update: boolean;
  properties: Record<string, string>;
  aliases: Array<{name: string; description: string}>;
  created_at: string;
  uploaded_at: string;
  expires_at: string;
  last_used_at: string;
  update_source?: {alias: string; certificate: string; protocol: string; server: string; image_type: string};
  update_check?: {at: string; outcome: string; detail?: string};
}
