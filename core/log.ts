import { type Logger, pino } from 'pino';

export type { Logger };

/** Paths that may carry secrets anywhere in a log object; pino replaces them before serialising. */
const redactPaths = [
  'token',
  '*.token',
  'tokenSha256',
  '*.tokenSha256',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const config = {
    level: options.level ?? 'info',
    base: { service: 'gpuscope' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** postgres://user:secret@host/db -> postgres://user:***@host/db, for messages a person reads. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
