// The Prometheus endpoint ZooKeeper's PrometheusMetricsProvider serves: GET /metrics on
// metricsProvider.httpHost:httpPort, in Prometheus's text format. Like the admin server, it turns
// away browser requests a foreign page could make (request-origin.ts); it takes no input.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ConfigError } from '../../protocol/config/values.js';
import { MetricsRegistry, type MetricsRegistryOptions } from './metrics-registry.js';
import { answeredNames, foreignRequestProblem } from './request-origin.js';

export interface MetricsServerOptions extends MetricsRegistryOptions {
  host: string;
  port: number;
}

/** The port could not be bound: startup stops naming the key, as a bad value would. */
export class MetricsServerStartError extends ConfigError {
  constructor(host: string, port: number, cause: Error) {
    super(`metricsProvider.httpPort: cannot serve /metrics on ${host}:${port}: ${cause.message}`,
      'metricsProvider.httpPort');
  }
}

export class MetricsServer {
  readonly registry: MetricsRegistry;
  private readonly http: Server;
  private readonly names: string[];

  constructor(private readonly options: MetricsServerOptions) {
    this.registry = new MetricsRegistry(options);
    this.names = answeredNames(options.host);
    this.http = createServer((request, response) => void this.answer(request, response));
  }

  async listen(): Promise<{ address: string; port: number }> {
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => reject(new MetricsServerStartError(host, port, error));
      this.http.once('error', failed);
      this.http.listen(port, host, () => {
        this.http.off('error', failed);
        resolve();
      });
    });
    const bound = this.http.address();
    if (bound === null || typeof bound === 'string') throw new Error('/metrics has no port');
    return { address: bound.address, port: bound.port };
  }

  async close(): Promise<void> {
    this.registry.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const refusal = foreignRequestProblem(request.headers, this.names);
    if (refusal !== undefined) return this.reply(response, 403, `${refusal}\n`);
    if (path !== '/metrics') return this.reply(response, 404, 'not found: try /metrics\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return this.reply(response, 405, 'only GET\n');
    }
    try {
      const text = await this.registry.scrape();
      response.writeHead(200, { 'Content-Type': this.registry.contentType });
      response.end(request.method === 'HEAD' ? undefined : text);
    } catch (error) {
      this.reply(response, 500, `${String(error)}\n`);
    }
  }

  private reply(response: ServerResponse, status: number, text: string): void {
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(text);
  }
}
