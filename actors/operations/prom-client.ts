// prom-client, required when a module of the Prometheus endpoint first runs (the endpoint is
// configured). A static import would put it, and @opentelemetry/api with it, in every server's
// startup once bundled: a bundle hoists its packages' imports to its top (cli/bundle.mjs).
import { createRequire } from 'node:module';

export const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
