// Preloaded by the benchmarks (node --import): at exit, write this process's own peak RSS in KiB
// to $OWN_RSS_FILE. /usr/bin/time reports the largest process of the tree, which for xz or
// mksquashfs is the tool, not img.
import {writeFileSync} from 'node:fs';

process.on('exit', () => {
  if (process.env.OWN_RSS_FILE) writeFileSync(process.env.OWN_RSS_FILE, `${process.resourceUsage().maxRSS}\n`);
});
