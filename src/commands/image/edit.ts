import {spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline/promises';
import {arg, ImgCommand, toYaml} from '../../base-command.js';
import {UserError, isUserError} from '../../lib/errors.js';
import {applyImagePut, imagePut} from '../../lib/image/edit.js';
import {parseRef} from '../../lib/refs.js';

const HEADER = `### This is a YAML representation of the image properties.
### Any line starting with a '# will be ignored.
###
### Each property is represented by a single line:
### An example would be:
###  description: My custom image
###
### properties, public and auto_update are replaced as a whole; expires_at and profiles
### change only when present. The fingerprint, architecture and type cannot change.
`;

const MAX_EDIT_BYTES = 1 << 20;

export default class ImageEdit extends ImgCommand {
  static override summary = 'Edit the editable fields of an image';
  static override description = 'Opens $VISUAL or $EDITOR on the YAML that img image show prints; when stdin is not a terminal, reads that YAML from stdin instead.';
  static override examples = ['<%= config.bin %> image edit ubuntu', '<%= config.bin %> image show ubuntu | sed s/public: false/public: true/ | <%= config.bin %> image edit ubuntu'];
  static override args = {image: arg({description: 'alias, fingerprint or unique fingerprint prefix', required: true})};

  async run(): Promise<void> {
    const {args} = await this.parse(ImageEdit);
    const store = await this.openStore();
    const image = await store.resolve(parseRef(args.image).name);
    if (!process.stdin.isTTY) {
      const text = await readStdin();
      await store.updateRecord(image.fingerprint, (r) => applyImagePut(r, text));
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'img-edit-'));
    const file = join(dir, `${image.fingerprint.slice(0, 12)}.yaml`);
    try {
      await writeFile(file, HEADER + '\n' + await toYaml(imagePut(image)));
      const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
      for (;;) {
        const r = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', file], {stdio: 'inherit'});
        if (r.status !== 0) throw new UserError(`the editor (${editor}) failed`, {code: 'EditorFailed'});
        const text = await readFile(file, 'utf8');
        try {
          await store.updateRecord(image.fingerprint, (rec) => applyImagePut(rec, text));
          return;
        } catch (err) {
          if (!isUserError(err) || err.code === 'ImageNotFound') throw err;
          process.stderr.write(`Config parsing error: ${err.message}\n`);
          const rl = createInterface({input: process.stdin, output: process.stderr});
          await rl.question('Press enter to open the editor again or ctrl+c to abort change');
          rl.close();
        }
      }
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  }
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of process.stdin) {
    n += (chunk as Buffer).length;
    if (n > MAX_EDIT_BYTES) throw new UserError('the edited YAML is larger than 1 MiB', {code: 'TooLarge'});
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}
