import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON-lines logger; child loggers carry `service`, `correlation_id`, `message_id`, `req_id`. */
export function createLogger(options: { level: string; name?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: options.name ? { app: options.name } : {},
      redact: {
        paths: [
          'password',
          '*.password',
          'number',
          '*.number',
          'cvc',
          '*.cvc',
          'token',
          '*.token',
          'req.headers.authorization',
          'req.headers.cookie',
          'authorization',
          'cookie',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
