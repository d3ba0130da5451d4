// GraphiQL at GET /graphql, on the vendored builds. The UI's API key (localStorage, see
// client.js) is sent with every request and in the WebSocket connection payload.
(function () {
  var key = window.localStorage.getItem("runlens.apiKey");
  var headers = key ? { Authorization: "Bearer " + key } : {};
  var ws = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql";
  var fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    subscriptionUrl: ws,
    headers: headers,
    wsConnectionParams: key ? { authorization: "Bearer " + key } : {},
  });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }));
})();
