export * from './errors.ts';
export * from './idx.ts';
export * from './fable.ts';
export * from './ptb.ts';
export * from './draw.ts';
export * from './batch.ts';
export * from './limits.ts';
export * from './fingerprint.ts';
