// Make a store of N synthetic images for bench/feed.sh: real records and real (tiny, random)
// unified files with their sha256 in the record, written directly (an import per image would
// time the import, not the export). Half are split squashfs-like images, so a version carries two files.
import {Buffer} from 'node:buffer';
import {createHash, randomBytes} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

const [home, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 10000);
const images = join(home, 'images');
mkdirSync(images, {recursive: true});
const aliases = {};
for (let i = 0; i < n; i++) {
  const split = i % 2 === 1;
  const files = (split ? ['metadata', 'rootfs'] : ['unified']).map((role) => ({role, data: randomBytes(role === 'rootfs' ? 4096 : 512)}));
  const fp = createHash('sha256')
    .update(Buffer.concat(files.map((f) => f.data)))
    .digest('hex');
  const dir = join(images, fp);
  mkdirSync(dir);
  for (const f of files) writeFileSync(join(dir, f.role), f.data);
  const created = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString().replace('.000Z', 'Z');
  const record = {
    fingerprint: fp,
    type: 'container',
    architecture: 'x86_64',
    size: files.reduce((s, f) => s + f.data.length, 0),
    filename: '',
    properties: {os: 'benchos', release: `r${i}`, variant: 'default', description: `bench image ${i}`},
    public: true,
    cached: false,
    auto_update: false,
    profiles: ['default'],
    created_at: created,
    uploaded_at: created,
    last_used_at: '0001-01-01T00:00:00Z',
    expires_at: '1970-01-01T00:00:00Z',
    update_source: null,
    files: files.map((f) => ({
      role: f.role,
      size: f.data.length,
      kind: f.role === 'rootfs' ? 'squashfs' : 'tar',
      compression: f.role === 'rootfs' ? 'none' : 'xz',
      extension: f.role === 'rootfs' ? '.squashfs' : '.tar.xz',
      sha256: createHash('sha256').update(f.data).digest('hex'),
    })),
  };
  writeFileSync(join(dir, 'image.json'), JSON.stringify(record));
  aliases[`bench/${i}`] = {target: fp, description: ''};
}
writeFileSync(join(home, 'aliases.json'), JSON.stringify({aliases}));
