import {arg, ImgCommand} from '../../base-command.js';
import {editLoop, readCapped} from '../../cli/editor.js';
import {imagePut} from '../../lib/image/api.js';
import {applyImagePut} from '../../lib/image/edit.js';
import {toYaml} from '../../render/yaml.js';

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

/** An edit is a small YAML document; anything larger is refused before it is parsed. */
const MAX_EDIT_BYTES = 1 << 20;

export default class ImageEdit extends ImgCommand {
  static override summary = 'Edit the editable fields of an image';
  static override description =
    'Opens $VISUAL or $EDITOR on the YAML that img image show prints; when stdin is not a terminal, reads that YAML from stdin instead.';
  static override examples = [
    '<%= config.bin %> image edit ubuntu',
    '<%= config.bin %> image show ubuntu | sed s/public: false/public: true/ | <%= config.bin %> image edit ubuntu',
  ];
  static override args = {image: arg({description: 'alias, fingerprint or unique fingerprint prefix', required: true})};

  async run(): Promise<void> {
    const {args} = await this.parse(ImageEdit);
    const remotes = await this.openRemotes();
    const {image} = await remotes.resolve(args.image, {localOnly: 'image edit'});
    const apply = async (text: string) => {
      await remotes.store.updateRecord(image.fingerprint, (r) => applyImagePut(r, text));
    };
    if (!process.stdin.isTTY) return apply(await readCapped(process.stdin, MAX_EDIT_BYTES, 'the edited YAML'));
    await editLoop(`${image.fingerprint.slice(0, 12)}.yaml`, HEADER + '\n' + (await toYaml(imagePut(image))), apply);
  }
}
