// The headers a static host of dist/ is told to send (public/_headers, copied into dist/, and the README's
// nginx lines) are the ones the dev and preview servers send (scripts/security-headers.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, securityHeaders } from '../scripts/security-headers.ts';

describe('security headers', () => {
  it('public/_headers holds exactly the app\'s headers for every path', () => {
    const lines = readFileSync('public/_headers', 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('/*');
    const parsed = Object.fromEntries(lines.slice(1).map((l) => {
      const at = l.indexOf(':');
      return [l.slice(0, at).trim(), l.slice(at + 1).trim()];
    }));
    expect(parsed).toEqual(securityHeaders('/'));
  });

  it("the README's nginx lines are the same headers", () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const [k, v] of Object.entries(securityHeaders('/'))) expect(readme).toContain(`add_header ${k} "${v}" always;`);
  });

  it('a build allows nothing inline, no eval, nothing from elsewhere; the dev server only its nonce; wasm only on /bench/', () => {
    const prod = contentSecurityPolicy();
    expect(prod).not.toMatch(/unsafe|nonce|https?:|\*/);
    expect(prod).toContain("script-src 'self';");
    expect(contentSecurityPolicy({ nonce: 'abc' })).toContain("script-src 'self' 'nonce-abc';");
    expect(securityHeaders('/')['Content-Security-Policy']).not.toContain('wasm');
    expect(securityHeaders('/bench/index.html')['Content-Security-Policy']).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(securityHeaders('/bench/index.html')['Content-Security-Policy']).toContain("worker-src 'self' blob:;");
    expect(securityHeaders('/')['Content-Security-Policy']).toContain("worker-src 'self';");
    expect(securityHeaders('/')['Cross-Origin-Embedder-Policy']).toBe('require-corp');
    expect(securityHeaders('/')['Cross-Origin-Opener-Policy']).toBe('same-origin');
  });
});
