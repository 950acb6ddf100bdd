// The HTTP security headers of rnnlab's pages, for `vite` (dev), `vite preview` and, through public/_headers and
// the README's nginx lines, any static host of dist/:
//   - a Content-Security-Policy that allows only the app's own scripts, styles, workers and fetches (data are
//     served by the app itself; nothing is loaded from elsewhere, no eval, no plugins, no framing);
//   - X-Content-Type-Options: nosniff;
//   - Cross-Origin-Opener-Policy: same-origin + Cross-Origin-Embedder-Policy: require-corp, so the page is
//     cross-origin isolated (SharedArrayBuffer and precise timers available; nothing cross-origin can load in it).
// The dev server adds what Vite's development page needs: its inline React-refresh preamble and the <style>
// elements of hot CSS carry a per-server nonce (Vite's html.cspNonce), and its HMR websocket is 'self'.
// The bench page (/bench/, dev only) also allows what jax-js's wasm backend needs: WebAssembly compilation
// ('wasm-unsafe-eval') and, the page being cross-origin isolated, its worker threads, started from blob: URLs.
import type { Connect, Plugin } from 'vite';

export interface CspOptions {
  /** The dev server's nonce for the scripts and styles Vite itself puts inline. */
  nonce?: string;
  /** Allow WebAssembly compilation and workers from blob: URLs (the bench page's peers). */
  wasm?: boolean;
}

export function contentSecurityPolicy({ nonce, wasm = false }: CspOptions = {}): string {
  const n = nonce ? ` 'nonce-${nonce}'` : '';
  return [
    "default-src 'self'",
    `script-src 'self'${n}${wasm ? " 'wasm-unsafe-eval'" : ''}`,
    `style-src 'self'${n}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    `worker-src 'self'${wasm ? ' blob:' : ''}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Every header of a response at `path` (a URL path). */
export function securityHeaders(path: string, nonce?: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy({ nonce, wasm: path.startsWith('/bench/') }),
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

/** Sets the headers on every response of the dev and preview servers (registered before any other middleware). */
export function securityHeadersPlugin(nonce?: string): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0]!;
    for (const [k, v] of Object.entries(securityHeaders(path, nonce))) res.setHeader(k, v);
    next();
  };
  return {
    name: 'rnnlab-security-headers',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}
