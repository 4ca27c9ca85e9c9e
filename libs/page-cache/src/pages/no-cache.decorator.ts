import { SetMetadata } from '@nestjs/common';
import { NO_CACHE_METADATA } from './page-metadata.js';

/** Opts a handler (or controller) out of page caching, including site-wide mode. */
export const NoCache = (): ClassDecorator & MethodDecorator => SetMetadata(NO_CACHE_METADATA, true);
