import express, { Router, type Request } from 'express';
import helmet from 'helmet';
import type { Queue } from 'bullmq';
import { maskEmail } from '../domain/pii.js';
import type { Logger } from '../logger.js';
import type { GrantsStore } from '../queue/grants-store.js';
import type { HireRecord, HireStore, TimelineEntry } from '../queue/hire-store.js';
import { releaseOffboardings } from '../queue/offboarding-release.js';
import type { OffboardingRecord, OffboardingStore } from '../queue/offboarding-store.js';
import { createAdminAuth } from './admin-auth.js';
import { grantsOf, type GrantsView } from './grants-view.js';
import { sameOriginChanges } from './same-origin.js';

export interface PeoplePageDeps {
  readonly token: string | undefined;
  readonly store: Pick<HireStore, 'keyOf' | 'get' | 'timeline' | 'recent'>;
  readonly offboarding: Pick<OffboardingStore, 'get' | 'list' | 'release'>;
  /** What the rules gave each person (PROVISIONING_RULES); absent without a rules file. */
  readonly grants?: Pick<GrantsStore, 'get'> | undefined;
  readonly queue: Pick<Queue, 'add'>;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/** How many people the page lists. */
const LISTED = 100;

/** Nothing but the page itself: no script, no inline style, forms to this site only. */
const PEOPLE_CSP = {
  'default-src': ["'none'"],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * `GET /admin/people` (README.md#http): the people page, server-rendered, no script and no build
 * step. Recent people with their state (joiners, leavers, the held disables), search by email, a
 * person's timeline; emails masked unless the admin reveals one row (`?reveal=`). Basic or Bearer
 * `ADMIN_TOKEN` as the dashboard, and its Release buttons post to `/admin/people/release`, behind
 * the same-site guard (a browser replays Basic credentials cross-site).
 */
export function createPeoplePage(deps: PeoplePageDeps): Router {
  const router = Router();
  router.use(
    '/admin/people',
    helmet({ contentSecurityPolicy: { useDefaults: false, directives: PEOPLE_CSP } }),
    createAdminAuth(deps.token, { basic: true }),
    (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
    sameOriginChanges(deps.logger, 'people page'),
  );

  router.get('/admin/people', async (req, res) => {
    const search = text(req, 'email');
    const reveal = text(req, 'reveal');
    const keys =
      search === undefined ? await deps.store.recent(LISTED) : [deps.store.keyOf(search)];
    const people = await Promise.all(
      keys.map(async (key) => ({
        key,
        record: await deps.store.get(key),
        offboarding: await deps.offboarding.get(key),
        grants: grantsOf(await deps.grants?.get(key)),
        timeline: search === undefined ? [] : await deps.store.timeline(key),
      })),
    );
    const held = await deps.offboarding.list('held');
    res.type('html').send(
      page({
        ...(search === undefined ? {} : { search }),
        ...(reveal === undefined ? {} : { reveal }),
        people,
        held,
        keyOf: deps.store.keyOf,
      }),
    );
  });

  router.post(
    '/admin/people/release',
    express.urlencoded({ extended: false, limit: '64kb' }),
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const key = typeof body['key'] === 'string' ? body['key'] : undefined;
      const released = await releaseOffboardings(
        deps,
        key === undefined ? undefined : [],
        key === undefined ? undefined : [key],
      );
      deps.logger.info('offboardings released by an admin', {
        released: released.length,
        via: 'people page',
      });
      res.redirect(303, '/admin/people');
    },
  );
  return router;
}

function text(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

interface Person {
  readonly key: string;
  readonly record: HireRecord | undefined;
  readonly offboarding: OffboardingRecord | undefined;
  readonly timeline: readonly TimelineEntry[];
  readonly grants: GrantsView;
}

/** The state shown: the record's, as an admin reads it, with the leaver's disable beside it. */
export function shownState(record: HireRecord | undefined, off: OffboardingRecord | undefined) {
  const states: string[] = [];
  if (record !== undefined) {
    if (record.reactivatedAt !== undefined && record.state !== 'offboarded') {
      states.push('reactivated');
    }
    states.push(record.downgraded === true ? `${record.state} (downgraded)` : record.state);
  }
  if (off !== undefined) {
    const name = off.state === 'done' ? 'done' : off.state;
    states.push(`offboarding ${name}`);
  }
  return states.join(', ');
}

function page(view: {
  search?: string;
  reveal?: string;
  people: readonly Person[];
  held: readonly OffboardingRecord[];
  keyOf: (email: string) => string;
}): string {
  const email = (address: string, key: string) =>
    view.reveal === key || view.search !== undefined ? address : maskEmail(address);
  const rows = view.people
    .filter((p) => p.record !== undefined || p.offboarding !== undefined)
    .map((p) => {
      const address = p.record?.email ?? p.offboarding?.email ?? '';
      const when = p.offboarding?.effectiveAt ?? p.record?.scheduledFor;
      return `<tr data-key="${esc(p.key)}"><td>${esc(email(address, p.key))}</td><td>${esc(
        shownState(p.record, p.offboarding),
      )}</td><td>${esc(grantsText(p.grants))}</td><td>${
        when === undefined ? '' : esc(new Date(when).toISOString())
      }</td><td>${esc(
        p.record?.lastError ?? p.offboarding?.reason ?? '',
      )}</td><td><a href="/admin/people?reveal=${esc(p.key)}">Reveal</a></td></tr>`;
    })
    .join('\n');
  const held = view.held
    .map((record) => {
      const key = view.keyOf(record.email);
      return `<tr data-key="${esc(key)}"><td>${esc(email(record.email, key))}</td><td>${esc(
        new Date(record.effectiveAt).toISOString(),
      )}</td><td>${esc(record.reason ?? '')}</td><td><form method="post" action="/admin/people/release"><input type="hidden" name="key" value="${esc(
        key,
      )}"><button type="submit">Release</button></form></td></tr>`;
    })
    .join('\n');
  const timeline = view.people
    .flatMap((p) => p.timeline)
    .map(
      (entry) =>
        `<li>${esc(new Date(entry.at).toISOString())} ${esc(entry.event)}${
          entry.detail === undefined ? '' : ` — ${esc(entry.detail)}`
        }</li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>People · docspace-onboarding</title></head>
<body>
<h1>People</h1>
<form method="get" action="/admin/people"><label>Email <input type="search" name="email" value="${esc(
    view.search ?? '',
  )}"></label> <button type="submit">Search</button></form>
<h2>Held offboardings</h2>
${
  view.held.length === 0
    ? '<p id="no-held">None: no disable waits for an admin.</p>'
    : `<table id="held"><thead><tr><th>Email</th><th>Effective</th><th>Why held</th><th></th></tr></thead><tbody>
${held}
</tbody></table>
<form method="post" action="/admin/people/release"><button type="submit">Release all</button></form>`
}
<h2>${view.search === undefined ? 'Recent people' : 'Search result'}</h2>
<table id="people"><thead><tr><th>Email</th><th>State</th><th>Groups and rooms given</th><th>Scheduled / effective</th><th>Last error or reason</th><th></th></tr></thead><tbody>
${rows}
</tbody></table>
${view.search === undefined ? '' : `<h2>Timeline</h2><ol id="timeline">${timeline}</ol>`}
</body></html>`;
}

/** "Sales, Berlin office; room 1234 (editing)": what the rules gave, as one cell. */
function grantsText(grants: GrantsView): string {
  const parts = [
    ...(grants.groups ?? []),
    ...(grants.rooms ?? []).map((room) => `room ${room.id} (${room.access})`),
  ];
  return parts.join(', ');
}

function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
