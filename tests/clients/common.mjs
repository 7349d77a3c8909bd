// What the client scripts share: where the pinned packages are, their arguments, their output.
//
// The packages are installed outside the source tree (`make clients` runs `npm ci` in
// $XDG_CACHE_HOME/singlet/clients), so a bare `import 'graphql-request'` from this directory
// would not find them, and ES modules ignore NODE_PATH. A require() rooted at that install
// resolves them as if the scripts lived there.
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
export const clientsDir = process.env.SINGLET_CLIENTS_DIR || join(cache, 'singlet', 'clients');
const require = createRequire(join(clientsDir, 'package.json'));

export function load(name) {
  try {
    return require(name);
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND') {
      const hint = `singlet: ${name} is not installed in ${clientsDir}: run \`make clients\``;
      process.stderr.write(`${hint}\n`);
      process.exit(3);
    }
    throw error;
  }
}

/** argv: the endpoint's URL, then optionally a bearer token and a JSON value (the input). */
export function args() {
  const [url, token, input] = process.argv.slice(2);
  if (!url) {
    process.stderr.write(`usage: node ${process.argv[1]} URL [TOKEN [INPUT-JSON]]\n`);
    process.exit(2);
  }
  return { url, token, input: input === undefined ? undefined : JSON.parse(input) };
}

/** The script's one result, as one JSON document on stdout for the test to assert on. */
export function report(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Runs `operation`, which should fail: what the client raised, as `describe` reports it. */
export async function failure(operation, describe) {
  try {
    const value = await operation();
    return { raised: false, value };
  } catch (error) {
    return { raised: true, ...describe(error) };
  }
}

/** The `extensions.code` of each GraphQL error, in order. */
export function codes(errors) {
  return (errors ?? []).map((error) => error?.extensions?.code ?? null);
}

/** A fetch that remembers each exchange's method, status and media type: what the test can
 * check of how the client spoke HTTP (GET or POST, the response type it negotiated). */
export function recordingFetch() {
  const exchanges = [];
  const record = async (input, init) => {
    const response = await fetch(input, init);
    exchanges.push({
      method: init?.method ?? 'GET',
      status: response.status,
      contentType: response.headers.get('content-type'),
    });
    return response;
  };
  return { exchanges, fetch: record };
}

// The operations every client runs: a write as the member, reads of it, and two failures.
export const CREATE_POST = `
  mutation CreatePost($input: CreatePostInput!) {
    createPost(input: $input) { id title content tags version author { username } }
  }`;
export const POST = `
  query Post($id: ID!) {
    post(id: $id) { id title content tags version author { username } }
  }`;
// A field error: the post is not at this version, so the update fails with CONFLICT.
export const UPDATE_POST = `
  mutation UpdatePost($input: UpdatePostInput!) {
    updatePost(input: $input) { id version }
  }`;
// A request error: the document does not validate, so nothing runs.
export const INVALID = `
  query Post($id: ID!) {
    post(id: $id) { id noSuchField }
  }`;
