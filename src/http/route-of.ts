/**
 * The route pattern that answered (`/admin/jobs/:id/retry`), never the path itself: paths can hold
 * an email (`/admin/hires/<email>`), and logs must not. Express sets `req.route` once a route
 * matches; before that (or for none) the mount point stands in.
 */
export function routeOf(req: { readonly route?: unknown; readonly baseUrl?: string }): string {
  const route: unknown = req.route;
  const path =
    typeof route === 'object' && route !== null && 'path' in route ? route.path : undefined;
  const base = req.baseUrl ?? '';
  if (typeof path === 'string') return `${base}${path === '/' && base !== '' ? '' : path}`;
  return base === '' ? '(no route)' : `${base}/*`;
}
