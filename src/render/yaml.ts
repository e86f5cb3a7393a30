/** Fields whose values are times: yaml.v2 writes time.Time unquoted. */
const TIME_KEYS = new Set(['expires_at', 'created_at', 'uploaded_at', 'last_used_at']);

/** YAML as lxc prints it (lib/yaml/encode.ts), time fields plain; loaded on use, as the yaml library is large. */
export async function toYaml(value: unknown): Promise<string> {
  const {stringifyYaml} = await import('../lib/yaml/encode.js');
  return stringifyYaml(value, {timeKeys: TIME_KEYS});
}
