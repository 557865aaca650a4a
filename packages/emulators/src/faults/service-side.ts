/**
 * Where a service reaches another service's data. An application's client talks to an emulator
 * through a fault proxy, and the URLs it hands a service (the lake files a warehouse COPY reads)
 * carry the proxy's address. In the cloud the warehouse reads storage inside the provider's
 * network, not over the client's path, so the test servers resolve a proxy's address to the
 * emulator behind it: client faults stay on the client's calls.
 */
const upstreamOf = new Map<string, string>();

/** Records that `proxyOrigin` (http://127.0.0.1:<port>) fronts `upstreamOrigin`; returns the undo. */
export function registerProxyOrigin(proxyOrigin: string, upstreamOrigin: string): () => void {
  upstreamOf.set(proxyOrigin, upstreamOrigin);
  return () => {
    upstreamOf.delete(proxyOrigin);
  };
}

/** `url` with a proxy's origin replaced by its emulator's; other URLs unchanged. */
export function serviceSideUrl(url: string): string {
  const origin = URL.canParse(url) ? new URL(url).origin : undefined;
  const upstream = origin && upstreamOf.get(origin);
  return upstream ? upstream + url.slice(origin.length) : url;
}
