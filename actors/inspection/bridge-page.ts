// The page the inspect bridge serves: the Stately inspector in an iframe, fed with the events
// that arrive on a websocket to the host that served the page. The page's own URL carries the
// bridge's token, which it passes on to the websocket; nothing else about the page is secret.

export const inspectorPageUrl = 'https://stately.ai/inspect';

/** Headers for the page: never cached, never framed, and its URL (with the token) never sent
 * as a Referer to the inspector's site. */
export const bridgePageHeaders: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
});

/**
 * Relays websocket messages into the inspector iframe once the inspector (and only it, by
 * origin) says it is connected; messages go to the inspector's origin only. The token leaves the
 * address bar once read, so a screenshot or a shared screen does not show it.
 */
export function bridgePage(tokenParameter: string): string {
  const inspectorOrigin = new URL(inspectorPageUrl).origin;
  return `<!doctype html>
<html>
<head><title>corral — live machines</title>
<style>html, body, iframe { margin: 0; width: 100%; height: 100%; border: 0; }</style></head>
<body>
<iframe id="inspector" src="${inspectorPageUrl}"></iframe>
<script>
  const inspectorOrigin = ${JSON.stringify(inspectorOrigin)};
  const inspector = document.getElementById('inspector');
  const token = new URLSearchParams(location.search).get(${JSON.stringify(tokenParameter)}) || '';
  history.replaceState(null, '', location.pathname);
  const waiting = [];
  let ready = false;
  const deliver = (event) => inspector.contentWindow.postMessage(event, inspectorOrigin);
  window.addEventListener('message', (message) => {
    if (message.origin !== inspectorOrigin) return;
    if (message.data && message.data.type === '@statelyai.connected') {
      ready = true;
      waiting.splice(0).forEach(deliver);
    }
  });
  const query = '?' + ${JSON.stringify(tokenParameter)} + '=' + encodeURIComponent(token);
  new WebSocket('ws://' + location.host + '/' + query).onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (ready) deliver(event); else waiting.push(event);
  };
</script>
</body>
</html>
`;
}
