import http from 'node:http';

/** A lean keep-alive JSON client (node:http): the load generator must cost little CPU per request. */
export class Http {
  readonly #agent: http.Agent;
  readonly #url: URL;
  constructor(baseUrl: string, maxSockets = 256) {
    this.#url = new URL(baseUrl);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = http.request({ agent: this.#agent, hostname: this.#url.hostname, port: this.#url.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async expect<T = unknown>(status: number, method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const res = await this.request<T>(method, path, body, token);
    if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`);
    return res.body;
  }

  close(): void {
    this.#agent.destroy();
  }
}
