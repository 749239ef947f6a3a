// A browser's cookie jar, reduced to what session tests need: it takes Set-Cookie values (as
// session.commit() returns them, or from a fetch Response) and gives the Cookie header of the
// next request.
export class CookieJar {
  #cookies = new Map();

  /** The Cookie header to send, or '' when the jar is empty. */
  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(name) {
    return this.#cookies.get(name);
  }

  get size() {
    return this.#cookies.size;
  }

  /** Takes Set-Cookie values; a cookie with Max-Age=0 (or an Expires in the past) is removed. */
  apply(setCookies) {
    for (const setCookie of setCookies) {
      const [pair, ...attributes] = setCookie.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((attribute) => {
        const [key, val] = attribute.split('=');
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return this;
  }

  /** Takes the Set-Cookie headers of a fetch Response. */
  applyResponse(response) {
    return this.apply(response.headers.getSetCookie());
  }
}

/**
 * A browser, as far as session tests need one: a cookie jar over fetch, to `origin`. Its `fetch`
 * sends the jar's cookies (with the request's own headers) and takes the response's, never
 * following a redirect.
 */
export function browser(origin) {
  const jar = new CookieJar();
  return {
    jar,
    async fetch(pathname, { headers = {}, ...init } = {}) {
      const cookie = jar.header();
      const response = await fetch(origin + pathname, { redirect: 'manual', ...init, headers: { ...(cookie ? { cookie } : {}), ...headers } });
      jar.applyResponse(response);
      return response;
    },
  };
}
