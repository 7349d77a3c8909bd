// @apollo/client (4.3.8, the core: no React) against the API:
//   node apollo.mjs URL TOKEN POST-INPUT-JSON
// Prints what the client returned and raised, for tests/clients/test_clients.py to assert on.
import {
  CREATE_POST, INVALID, POST, UPDATE_POST, args, codes, failure, load, recordingFetch, report,
} from './common.mjs';

const {
  ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql,
} = load('@apollo/client');
const { url, token, input } = args();
const http = recordingFetch();
const member = new ApolloClient({
  link: new HttpLink({
    uri: url, fetch: http.fetch, headers: { authorization: `Bearer ${token}` },
  }),
  cache: new InMemoryCache(),
});
// A second client, its own empty cache, reading with GET (useGETForQueries) as a
// CDN-friendly app would.
const anonymous = new ApolloClient({
  link: new HttpLink({ uri: url, fetch: http.fetch, useGETForQueries: true }),
  cache: new InMemoryCache(),
});

function describe(error) {
  // Anything else (a ServerError, a parse failure) means the client did not understand the
  // response as GraphQL: report it, so the test shows what it got.
  if (!CombinedGraphQLErrors.is(error)) return { kind: 'other', message: String(error) };
  return { kind: 'CombinedGraphQLErrors', codes: codes(error.errors), data: error.data ?? null };
}

const created = (await member.mutate({ mutation: gql(CREATE_POST), variables: { input } }))
  .data.createPost;
// network-only: the mutation filled the cache, and the point is to read from the server.
const fetched = (await member.query({
  query: gql(POST), variables: { id: created.id }, fetchPolicy: 'network-only',
})).data.post;
const anonymousRead = (await anonymous.query({ query: gql(POST), variables: { id: created.id } }))
  .data.post;
const conflict = await failure(
  () => member.mutate({
    mutation: gql(UPDATE_POST),
    variables: {
      input: { id: created.id, expectedVersion: created.version + 1, title: 'never written' },
    },
  }),
  describe,
);
const anonymousWrite = await failure(
  () => anonymous.mutate({ mutation: gql(CREATE_POST), variables: { input } }),
  describe,
);
const invalid = await failure(
  () => member.query({
    query: gql(INVALID), variables: { id: created.id }, fetchPolicy: 'network-only',
  }),
  describe,
);
member.stop();
anonymous.stop();
report({
  created, fetched, anonymousRead, conflict, anonymousWrite, invalid, exchanges: http.exchanges,
});
