// graphql-request (7.4.0) against the API: node graphql_request.mjs URL TOKEN POST-INPUT-JSON
// Prints what the client returned and raised, for tests/clients/test_clients.py to assert on.
import {
  CREATE_POST, INVALID, POST, UPDATE_POST, args, codes, failure, load, recordingFetch, report,
} from './common.mjs';

const { ClientError, GraphQLClient } = load('graphql-request');
const { url, token, input } = args();
const http = recordingFetch();
const member = new GraphQLClient(url, {
  headers: { authorization: `Bearer ${token}` },
  fetch: http.fetch,
});
// GET for queries, as a CDN-cached reader would; graphql-request still POSTs mutations.
const anonymous = new GraphQLClient(url, { method: 'GET', fetch: http.fetch });

function describe(error) {
  // Checked by class, not by name: the CommonJS build's class is called _ClientError.
  if (!(error instanceof ClientError)) return { kind: 'other', message: String(error) };
  const { status, errors, data } = error.response;
  return { kind: 'ClientError', status, codes: codes(errors), data: data ?? null };
}

const created = (await member.request(CREATE_POST, { input })).createPost;
const fetched = (await member.request(POST, { id: created.id })).post;
const read = await anonymous.rawRequest(POST, { id: created.id });
const conflict = await failure(
  () => member.request(UPDATE_POST, {
    input: { id: created.id, expectedVersion: created.version + 1, title: 'never written' },
  }),
  describe,
);
const anonymousWrite = await failure(() => anonymous.request(CREATE_POST, { input }), describe);
const invalid = await failure(() => member.request(INVALID, { id: created.id }), describe);
report({
  created,
  fetched,
  anonymousRead: { post: read.data.post, status: read.status },
  conflict,
  anonymousWrite,
  invalid,
  exchanges: http.exchanges,
});
