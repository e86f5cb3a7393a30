import type {Hook} from '@oclif/core';

/** An unknown command is a usage error: one `Error:` line and exit status 2, like every other. */
const hook: Hook.CommandNotFound = async function (opts) {
  const name = opts.id.replaceAll(':', ' ');
  process.stderr.write(`Error: unknown command "${name}" (see: img --help)\n`);
  this.exit(2);
};

export default hook;
