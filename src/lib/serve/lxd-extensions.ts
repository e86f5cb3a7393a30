/**
 * The api_extensions img serve advertises in `GET /1.0`. LXD's clients gate features on them
 * (the Go client's HasExtension), so the list says what this server really does, and no more.
 *
 * Found by experiment with LXD 5.0.2's own `lxc` and daemon against img serve (2026-12-02): with
 * an EMPTY list, `lxc remote add --protocol lxd [--public]`, `lxc image list|info`, `lxc image
 * copy` (by alias, by prefix, `--auto-update`, `--copy-aliases`, `--vm`) and `lxc image export`
 * all work, and ask the same requests as with LXD 5.0.2's full list of 318 (captured in
 * test/fixtures/lxd/untrusted-1.0.json): neither lxc nor the daemon pulling an image checks an
 * extension of the source server. The one that changes a request is api_filtering: with it, `lxc
 * image list X: type=container` sends `?filter=type+eq+container` (lxd-filter.ts answers it),
 * without it lxc filters the whole list itself. So the list holds only what img implements here:
 */
export const LXD_API_EXTENSIONS: readonly string[] = [
  // ETags on image and alias objects (an alias's as LXD computes it: lxd-json.ts).
  'etag',
  // Image objects and aliases carry `type`; a VM's export has LXD's `rootfs.img` part.
  'image_types',
  // `?filter=` on /1.0/images.
  'api_filtering',
];
