// Write oclif.manifest.json so that `img` starts without importing every command. This is what
// `oclif manifest` does, without pulling in the whole oclif packaging tool.
import {Plugin} from '@oclif/core';
import {writeFileSync} from 'node:fs';

const plugin = new Plugin({root: process.cwd(), type: 'core', ignoreManifest: true, errorOnManifestCreate: true});
await plugin.load();
writeFileSync('oclif.manifest.json', JSON.stringify(plugin.manifest, null, 2) + '\n');
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
