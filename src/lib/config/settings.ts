import {UserError} from '../errors.js';

/** The codecs images.compression_algorithm takes: the ones img writes (archive/codecs.ts WRITE_COMPRESSIONS). */
export const SETTING_COMPRESSIONS = ['gzip', 'xz', 'bzip2', 'zstd', 'none'] as const;

/** Every setting img has (LXD server config keys of the same names) and the type of its value. */
export interface Settings {
  'images.auto_update_interval': number;
  'images.auto_update_cached': boolean;
  'images.remote_cache_expiry': number;
  'images.compression_algorithm': (typeof SETTING_COMPRESSIONS)[number];
  'images.remote_index_ttl': number;
}
export type SettingKey = keyof Settings;

interface Spec<T> {
  default: T;
  /** What a value must be, for the error message. */
  expected: string;
  description: string;
  parse(text: string): T | undefined;
}

const count = (unit: string, description: string, dflt: number): Spec<number> => ({
  default: dflt,
  expected: `a whole number of ${unit}, 0 or more`,
  description,
  parse: (text) => (/^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined),
});

// LXD's validate.IsBool.
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export const SETTINGS: {readonly [K in SettingKey]: Spec<Settings[K]>} = {
  'images.auto_update_interval': count('hours', 'How often to check auto-update images for a new version (0 disables)', 6),
  'images.auto_update_cached': {
    default: true,
    expected: 'true or false',
    description: 'Whether cached images (downloaded implicitly) are kept up to date',
    parse: (text) => (TRUE.has(text.toLowerCase()) ? true : FALSE.has(text.toLowerCase()) ? false : undefined),
  },
  'images.remote_cache_expiry': count('days', 'How long an unused cached image is kept', 10),
  'images.compression_algorithm': {
    default: 'gzip',
    expected: `one of ${SETTING_COMPRESSIONS.join(', ')}`,
    description: 'Compression of images img publish builds without --compression',
    parse: (text) => SETTING_COMPRESSIONS.find((c) => c === text),
  },
  'images.remote_index_ttl': count('seconds', "How long a remote's index is used without asking the server again", 300),
};

export const SETTING_KEYS = Object.keys(SETTINGS).sort() as SettingKey[];

/** The key, if img has it; UnknownConfigKey otherwise, listing the keys there are. */
export function checkSettingKey(key: string): SettingKey {
  if (Object.hasOwn(SETTINGS, key)) return key as SettingKey;
  throw new UserError(`Unknown config key: ${key}`, {code: 'UnknownConfigKey', hint: `img knows ${SETTING_KEYS.join(', ')}`});
}

/** A value given as text, checked against its key's type. */
export function parseSetting<K extends SettingKey>(key: K, text: string, where = ''): Settings[K] {
  const spec = SETTINGS[key] as Spec<Settings[K]>;
  const value = spec.parse(text);
  if (value === undefined) throw new UserError(`Invalid value for ${key}${where}: "${text}" (expected ${spec.expected})`, {code: 'InvalidConfigValue'});
  return value;
}
