#!/usr/bin/env node
// Runs a command with the environment the WebGPU code needs on Linux.
// Node + Dawn (the `webgpu` package) needs a Vulkan driver. On machines without a GPU we point it at the
// SwiftShader driver that ships inside Debian's chromium package (a CPU implementation of Vulkan).
// RNNLAB_ADAPTER=native keeps the system's own Vulkan driver (a real GPU); =swiftshader forces SwiftShader;
// unset: SwiftShader unless a GPU device node is present.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const SWIFTSHADER_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser'];

export function gpuEnv(base = process.env) {
  const env = { ...base };
  env.XDG_RUNTIME_DIR ??= '/tmp';
  const hasGpu = existsSync('/dev/nvidia0') || existsSync('/dev/dri/renderD128');
  const mode = env.RNNLAB_ADAPTER ?? (hasGpu ? 'native' : 'swiftshader');
  if (mode === 'swiftshader' && !env.VK_ICD_FILENAMES) {
    const dir = SWIFTSHADER_DIRS.find((d) => existsSync(join(d, 'vk_swiftshader_icd.json')));
    if (dir) {
      env.VK_ICD_FILENAMES = join(dir, 'vk_swiftshader_icd.json');
      // Chromium's own Vulkan loader, for machines without Debian's libvulkan1.
      env.LD_LIBRARY_PATH = [env.LD_LIBRARY_PATH, dir].filter(Boolean).join(delimiter);
    }
  }
  env.PATH = [join(process.cwd(), 'node_modules', '.bin'), env.PATH].join(delimiter);
  return env;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, ...args] = process.argv.slice(2);
  if (!cmd) {
    console.error('usage: node scripts/gpu-env.mjs <command> [args...]');
    process.exit(2);
  }
  const child = spawn(cmd, args, { stdio: 'inherit', env: gpuEnv() });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
