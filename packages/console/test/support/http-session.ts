import type { RunningConsole } from '../../src/index.js';

/** A browser-like caller of a console's API: its cookie and CSRF token once signed in, its origin on every POST. */
export class HttpSession {
  cookie = '';
  csrf = '';

  constructor(readonly console: RunningConsole) {}

  async signIn(token = this.console.token): Promise<Response> {
    const response = await this.post('/api/session', { token });
    if (response.ok) {
      this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
      this.csrf = ((await response.clone().json()) as { csrf_token: string }).csrf_token;
    }
    return response;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.console.origin}${path}`, { headers: { cookie: this.cookie, ...headers } });
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.console.origin}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: this.console.origin,
        cookie: this.cookie,
        'x-csrf-token': this.csrf,
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  async json(response: Promise<Response>): Promise<[number, unknown]> {
    const answered = await response;
    return [answered.status, await answered.json()];
  }
}
