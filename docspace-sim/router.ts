import type { ApiRequest, SimResponse } from './types.js';

/** What the call log records about a request's subject (emails or user ids). */
export interface CallSubject {
  emails?: string[];
  userIds?: string[];
}

/** One API endpoint. `path` uses `:name` placeholders; `body` marks a `[FromBody]` DTO. */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly body: boolean;
  readonly handle: (req: ApiRequest) => SimResponse;
  readonly subject?: (body: unknown, query: URLSearchParams) => CallSubject;
}

/** A route that matched, with its path parameters. */
export interface RouteMatch {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
}

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
}

/**
 * Creates a first-match router. Paths compare case-insensitively, as ASP.NET routing does;
 * list literal routes (`/people/email`) before parameter routes (`/people/:id`).
 */
export function createRouter(
  routes: readonly Route[],
): (method: string, path: string) => RouteMatch | undefined {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const keys: string[] = [];
    const source = route.path
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    return { route, keys, pattern: new RegExp(`^${source}/?$`, 'i') };
  });
  return (method, path) => {
    for (const { route, pattern, keys } of compiled) {
      if (route.method !== method) continue;
      const found = pattern.exec(path);
      if (!found) continue;
      const params: Record<string, string> = {};
      keys.forEach((key, i) => {
        params[key] = safeDecode(found[i + 1] ?? '');
      });
      return { route, params };
    }
    return undefined;
  };
}

/** Strings in an array, ignoring anything else (for the call log only). */
export function stringsIn(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
