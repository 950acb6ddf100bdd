/** A setting that makes no sense (the UI shows the message next to the form). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
