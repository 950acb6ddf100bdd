// ConfigError is defined with the configs it guards (src/models); the engine and the page name it from here too.
export { ConfigError } from '../models/errors.ts';
