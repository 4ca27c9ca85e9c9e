import { Logger } from '@nestjs/common';

/** Most distinct warnings remembered (routes × reasons are bounded by code, this by memory). */
const MAX_WARNINGS = 1000;

/** The page cache's warnings, each logged once per `key` (a route and a reason; bounded). */
export class OnceWarnings {
  private readonly warned = new Set<string>();

  constructor(private readonly logger = new Logger('PageCache')) {}

  warn(message: string, key = message): void {
    if (this.warned.has(key) || this.warned.size >= MAX_WARNINGS) return;
    this.warned.add(key);
    this.logger.warn(message);
  }
}
