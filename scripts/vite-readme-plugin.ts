// Serves the project's README at /README.md (as plain text) in development and copies it into the build, so the
// About panel can link to it wherever the app is hosted.
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

export function serveReadme(path = 'README.md'): Plugin {
  return {
    name: 'rnnlab-serve-readme',
    configureServer(server) {
      server.middlewares.use('/README.md', (_req, res) => {
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(readFileSync(path));
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'README.md', source: readFileSync(path) });
    },
  };
}
