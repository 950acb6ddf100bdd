export function findChromium(): string | null;
export const CHROMIUM_WEBGPU_ARGS: string[];
