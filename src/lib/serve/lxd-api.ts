/**
 * The public part of LXD's REST API, as LXD 5.0.2 answers an untrusted client
 * (../shared/spec/lxd-images.md §5), so that `lxc remote add X https://… --protocol lxd --public`
 * and then `lxc image list|info|copy X:…` work against img serve, and so does img's own LxdSource.
 * Everything comes from the Catalog: a private image is not in it, so it is "Image not found" like
 * any missing one, by fingerprint, prefix or alias, and no answer names it.
 *
 * Where img differs from LXD, on purpose: HEAD is answered (LXD refuses HEAD to an untrusted
 * client with 403); `/1.0/images/aliases` lists the public aliases (LXD: 403 "not authorized");
 * `public` in `/1.0` is true (this server has only the public endpoints, which is what the field
 * says; LXD's own daemon says false), so `lxc remote add` without `--public` makes it a public
 * remote instead of asking for a trust password; an image object's ETag covers the whole object
 * (lxd-json.ts); a private image's 404 is "Image not found", not LXD's
 * `Image "<fp>" not found`. A write, should the server pass one on (server.ts answers them 405
 * first), is 403 "not authorized", as LXD answers strangers.
 */
import type {AliasEntry, ImageView} from '../image/types.js';
import {prefersHtml} from '../simplestreams/html.js';
import {etagOf} from './respond.js';
import {sendExport} from './lxd-export.js';
import {LXD_API_EXTENSIONS} from './lxd-extensions.js';
import {FilterError, matchFilter, parseFilter} from './lxd-filter.js';
import {aliasEtag, aliasObject, type AliasObject, errorBody, imageObject, syncBody} from './lxd-json.js';
import type {Catalog, Route, ServeRequest} from './types.js';

/** LXD endpoints an untrusted client is refused (403), rather than told they do not exist (404). */
const TRUSTED_ONLY = new Set([
  'certificates',
  'cluster',
  'containers',
  'events',
  'instances',
  'metrics',
  'network-acls',
  'network-zones',
  'networks',
  'operations',
  'profiles',
  'projects',
  'resources',
  'storage-pools',
  'virtual-machines',
  'warnings',
]);

type Endpoint = {kind: 'root' | 'server' | 'images' | 'aliases' | 'trusted'} | {kind: 'alias'; name: string} | {kind: 'image' | 'export'; ref: string};

const ALIAS_PREFIX = '/1.0/images/aliases/';

function endpointOf(path: string): Endpoint | undefined {
  if (path === '/') return {kind: 'root'};
  if (path === '/1.0') return {kind: 'server'};
  if (path === '/1.0/images') return {kind: 'images'};
  if (path === '/1.0/images/aliases') return {kind: 'aliases'};
  // An alias name may hold slashes: the rest of the path is the name (%2F and / both work, as in LXD).
  if (path.startsWith(ALIAS_PREFIX) && path.length > ALIAS_PREFIX.length) return {kind: 'alias', name: path.slice(ALIAS_PREFIX.length)};
  const image = /^\/1\.0\/images\/([^/]+)(?:\/(export|secret|refresh))?$/.exec(path);
  if (image?.[2] === undefined && image) return {kind: 'image', ref: image[1]!};
  if (image?.[2] === 'export') return {kind: 'export', ref: image[1]!};
  if (image) return {kind: 'trusted'};
  const first = /^\/1\.0\/([^/]+)/.exec(path)?.[1];
  return first !== undefined && TRUSTED_ONLY.has(first) ? {kind: 'trusted'} : undefined;
}

/** The LXD API's answers for `/` and `/1.0…`; a browser asking for `/` is left to the web page. */
export const lxdRoute: Route = async (r) => {
  const {path} = r;
  if (path !== '/' && path !== '/1.0' && !path.startsWith('/1.0/')) return false;
  if (path === '/' && prefersHtml(r.req.headers.accept)) return false;
  const endpoint = endpointOf(path);
  const method = r.req.method ?? 'GET';
  if (endpoint === undefined) fail(r, 404, 'not found');
  else if (method !== 'GET' && method !== 'HEAD') fail(r, 403, 'not authorized');
  else if (endpoint.kind === 'trusted') fail(r, 403, 'not authorized');
  else if (!['', 'default'].includes(r.query.get('project') ?? '')) fail(r, 404, 'Project not found');
  else await answer(r, endpoint);
  return true;
};

async function answer(r: ServeRequest, e: Exclude<Endpoint, {kind: 'trusted'}>): Promise<void> {
  switch (e.kind) {
    case 'root':
      return cached(r, 'root', () => ['/1.0']);
    case 'server':
      return cached(r, 'server', () => SERVER_INFO);
    case 'images':
      return listImages(r);
    case 'aliases':
      return sync(r, recursive(r) ? aliasesOf(r.catalog).objects : aliasesOf(r.catalog).urls);
    case 'alias': {
      const alias = aliasesOf(r.catalog).byName.get(e.name);
      const image = alias && r.catalog.find(alias.target);
      if (!alias || !image) return fail(r, 404, 'Image alias not found');
      const object = aliasObject(alias.name, alias.description, image);
      return sync(r, object, aliasEtag(object));
    }
    case 'image':
    case 'export': {
      const image = findImage(r.catalog, e.ref);
      if (image === 'ambiguous') return fail(r, 500, 'More than one image matches');
      if (!image) return fail(r, 404, 'Image not found');
      return e.kind === 'image' ? cached(r, `image ${image.fingerprint}`, () => imageObject(image)) : sendExport(r, image);
    }
  }
}

/** What LXD 5.0.2 tells an untrusted client about itself (no `environment`: that is for trusted ones). */
const SERVER_INFO = {
  api_extensions: LXD_API_EXTENSIONS,
  api_status: 'stable',
  api_version: '1.0',
  auth: 'untrusted',
  public: true,
  auth_methods: ['tls'],
};

const recursive = (r: ServeRequest): boolean => Number(r.query.get('recursion') ?? '0') >= 1;

function listImages(r: ServeRequest): void {
  const filter = r.query.get('filter') ?? '';
  if (filter.trim() === '') return sync(r, recursive(r) ? imagesOf(r.catalog).objects : imagesOf(r.catalog).urls);
  let clauses;
  try {
    clauses = parseFilter(filter);
  } catch (err) {
    if (err instanceof FilterError) return fail(r, 500, `Invalid filter: ${err.message}`);
    throw err;
  }
  const {objects, urls} = imagesOf(r.catalog);
  const kept = objects.flatMap((o, i) => (matchFilter(o, clauses) ? [i] : []));
  sync(
    r,
    kept.map((i) => (recursive(r) ? objects[i] : urls[i])),
  );
}

/** A fingerprint or a prefix of one, in any case (LXD looks prefixes up case-insensitively). */
function findImage(catalog: Catalog, ref: string): ImageView | 'ambiguous' | undefined {
  const wanted = ref.toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(wanted)) return undefined;
  const image = catalog.find(wanted);
  if (image || wanted.length === 64) return image;
  // Only public images are counted, so an ambiguity says nothing of a private one.
  let matches = 0;
  for (const i of catalog.images) if (i.fingerprint.startsWith(wanted) && ++matches > 1) return 'ambiguous';
  return undefined;
}

interface Listings {
  urls: string[];
  objects: Record<string, unknown>[];
}

interface AliasListings {
  urls: string[];
  objects: AliasObject[];
  byName: Map<string, AliasEntry>;
}

// Built once per catalog (a new one comes with every change of the store), not per request.
const imageListings = new WeakMap<Catalog, Listings>();
const aliasListings = new WeakMap<Catalog, AliasListings>();

function imagesOf(catalog: Catalog): Listings {
  let l = imageListings.get(catalog);
  if (!l) {
    l = {urls: catalog.images.map((i) => `/1.0/images/${i.fingerprint}`), objects: catalog.images.map(imageObject)};
    imageListings.set(catalog, l);
  }
  return l;
}

function aliasesOf(catalog: Catalog): AliasListings {
  let l = aliasListings.get(catalog);
  if (!l) {
    const byName = new Map(catalog.aliases.map((a) => [a.name, a]));
    const named = [...byName.values()].flatMap((a) => {
      const image = catalog.find(a.target);
      return image ? [{alias: a, image}] : [];
    });
    l = {
      byName,
      urls: named.map(({alias}) => `/1.0/images/aliases/${encodeURIComponent(alias.name)}`),
      objects: named.map(({alias, image}) => aliasObject(alias.name, alias.description, image)),
    };
    aliasListings.set(catalog, l);
  }
  return l;
}

function sync(r: ServeRequest, metadata: unknown, etag?: string): void {
  r.text(200, syncBody(metadata), 'application/json', etag ? {etag} : {});
}

/**
 * Answers already made from this catalog snapshot. Clients ask for the same few (an image, the
 * server) again and again, and Go-ordered JSON plus its sha256 ETag were most of the time spent
 * on such a request (bench/serve.sh).
 */
const answers = new WeakMap<Catalog, Map<string, {body: Buffer; etag: string}>>();
const MAX_CACHED_ANSWERS = 4096;

function cached(r: ServeRequest, key: string, make: () => unknown): void {
  let made = answers.get(r.catalog);
  if (!made) answers.set(r.catalog, (made = new Map()));
  let a = made.get(key);
  if (!a) {
    const body = Buffer.from(syncBody(make()));
    a = {body, etag: etagOf(body)};
    if (made.size < MAX_CACHED_ANSWERS) made.set(key, a);
  }
  r.text(200, a.body, 'application/json', {etag: a.etag});
}

/** LXD's error envelope, with the HTTP status it carries and the headers Go's http.Error adds. */
function fail(r: ServeRequest, code: number, message: string): void {
  const body = errorBody(code, message);
  r.res.writeHead(code, {'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body)});
  r.res.end(r.req.method === 'HEAD' ? undefined : body);
}
