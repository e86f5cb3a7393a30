type OpenPgp = typeof import('openpgp');
let loading: Promise<OpenPgp> | undefined;

/** openpgp, imported on first use: it costs tens of milliseconds of start-up that most commands never need. */
export function openpgp(): Promise<OpenPgp> {
  return (loading ??= import('openpgp'));
}
