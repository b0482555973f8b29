// Talking to an admin server (ours or ZooKeeper's) from the command line: HOST:PORT addresses,
// the Authorization header ZooKeeper 3.9 reads (`<scheme> <credentials>`, from a zkCli-style
// `--auth scheme:credentials`), and bounded HTTP requests.

import { request as httpRequest, type IncomingMessage } from 'node:http';

export interface AdminAddress {
  host: string;
  port: number;
}

/** `HOST:PORT` (IPv6 as `[::1]:PORT`). */
export function parseAdminAddress(text: string): AdminAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (match === null || !(port > 0 && port < 65536)) {
    throw new Error(`--admin ${text}: expected HOST:PORT`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/**
 * `--auth digest:user:password` as ZooKeeper's addauth writes it, turned into the header value
 * 3.9's admin server reads: `digest user:password`. `ip` and `x509` take no credentials.
 */
export function authorizationHeader(auth: string | undefined): string | undefined {
  if (auth === undefined) return undefined;
  const colon = auth.indexOf(':');
  return colon < 0 ? auth : `${auth.slice(0, colon)} ${auth.slice(colon + 1)}`;
}

export interface AdminRequest {
  address: AdminAddress;
  /** admin.commandURL plus the command, e.g. `/commands/snapshot?streaming=true`. */
  path: string;
  method?: 'GET' | 'POST';
  authorization?: string | undefined;
  body?: Buffer;
  /** Further request headers (the dashboard's Accept and Last-Event-ID). */
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** Sends one request; the response is handed over unread (its body is a stream). The timeout
 * bounds the wait for the response's headers and every pause between its bytes. */
export function adminRequest(options: AdminRequest): Promise<IncomingMessage> {
  const { address, body } = options;
  const headers: Record<string, string | number> = { ...options.headers };
  if (options.authorization !== undefined) headers.Authorization = options.authorization;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/octet-stream';
    headers['Content-Length'] = body.length;
  }
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: address.host,
      port: address.port,
      path: options.path,
      method: options.method ?? 'GET',
      headers,
      timeout: options.timeoutMs,
    }, resolve);
    const silent = `admin server ${address.host}:${address.port} was silent for ` +
      `${options.timeoutMs} ms`;
    request.on('timeout', () => request.destroy(new Error(silent)));
    request.on('error', reject);
    request.end(body);
  });
}

/** A response's whole body as text (bounded: admin JSON answers are small). */
export async function readText(response: IncomingMessage, bytesMax = 16 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > bytesMax) throw new Error(`admin answer longer than ${bytesMax} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GETs a JSON command; undefined when the server cannot be reached or does not answer JSON. */
export async function adminJson(address: AdminAddress, path: string, timeoutMs: number):
  Promise<Record<string, unknown> | undefined> {
  try {
    const response = await adminRequest({ address, path, timeoutMs });
    const text = await readText(response);
    if (response.statusCode !== 200) return undefined;
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The `error` of a JSON answer, else its text: what to tell the operator of a refusal. */
export function refusalText(status: number | undefined, text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error === 'string') return `HTTP ${status}: ${error}`;
  } catch {
    // Not JSON: the text as it is.
  }
  return `HTTP ${status}: ${text.trim().slice(0, 300)}`;
}
