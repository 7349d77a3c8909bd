// Singlet's GraphiQL page: a separate file, so the page works under `script-src 'self'`.
(function () {
  "use strict";

  const EXAMPLE_QUERY = `# Singlet: a blog on one DynamoDB table.
# Every level of this query costs one round trip, however many posts it shows.
# Mutations need an Authorization header (Headers tab below): \`make run\` prints one.
query Feed {
  posts(first: 5) {
    edges {
      node {
        id
        title
        tags
        ups
        author { username }
        comments(first: 3) {
          edges { node { body author { username } } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

  // ?q=, ?variables= and ?headers= pre-fill the editors (make run links a ready header).
  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(
        entry.slice(eq + 1).replace(/\+/g, " "),
      );
    }
  }

  const fetcher = GraphiQL.createFetcher({ url: window.location.href.split("?")[0] });

  function App() {
    const explorer = GraphiQLPluginExplorer.explorerPlugin();
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      defaultQuery: EXAMPLE_QUERY,
      query: parameters.q,
      variables: parameters.variables,
      headers: parameters.headers,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
