import { z } from 'zod';
import { PayloadError } from '../errors.js';
import { problemsOf } from './problems.js';

/**
 * The rules file (`PROVISIONING_RULES`, YAML or JSON): groups, rooms and a user type by
 * department, location or title (docs/design.md, rule 13; docs/rules.md). The schema only: matching is
 * in src/domain/rule-plan.ts, reading the file in src/rules/load.ts.
 *
 * @example
 * rules:
 *   - when: { department: [Engineering, QA], location: Berlin }  # every key must match; a list: any of
 *     groups: [Engineering, Berlin office]
 *     rooms: [{ id: "1234", access: editing }]
 *     type: RoomAdmin
 */

/** Room access by name, as DocSpace's integers (`PUT /api/2.0/files/rooms/{id}/share`). */
export const ROOM_ACCESS = {
  read: 2,
  editing: 10,
  'content-creator': 11,
  'room-manager': 9,
} as const;

const name = z
  .string({ error: 'must be text' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(255, { error: 'longer than 255' });

/** One value, or a list meaning "any of". Matched case-insensitively on trimmed text. */
const matchValue = z.union([name, z.array(name).min(1, { error: 'empty list' })], {
  error: 'must be text or a list of text',
});

const rule = z
  .strictObject(
    {
      when: z
        .strictObject(
          { department: matchValue, location: matchValue, title: matchValue },
          { error: unknownKey('department, location, title', 'must be a map') },
        )
        .partial()
        .refine((when) => Object.keys(when).length > 0, {
          error:
            'is empty: name a department, location or title (a rule for everyone is a mistake)',
        })
        .meta({ description: 'Every key must match; at least one key' }),
      groups: z
        .array(name)
        .optional()
        .meta({ description: 'Group names; created once if missing' }),
      rooms: z
        .array(
          z.strictObject(
            {
              id: z.union(
                [
                  name.refine((id) => /^[1-9]\d{0,17}$/.test(id), {
                    error: 'must be a room id (a number, as in the room link …/rooms/shared/1234)',
                  }),
                  z.number().int().positive(),
                ],
                { error: 'must be a room id (a number)' },
              ),
              access: z.enum(Object.keys(ROOM_ACCESS) as [keyof typeof ROOM_ACCESS], {
                error: `must be one of ${Object.keys(ROOM_ACCESS).join(', ')}`,
              }),
            },
            { error: unknownKey('id, access', 'must be a map') },
          ),
        )
        .optional(),
      type: z
        .enum(['User', 'RoomAdmin', 'DocSpaceAdmin'], {
          error: 'must be one of User, RoomAdmin, DocSpaceAdmin',
        })
        .optional()
        .meta({ description: 'Overrides DOCSPACE_USER_TYPE for this person' }),
    },
    { error: unknownKey('when, groups, rooms, type', 'must be a map') },
  )
  .refine((r) => r.groups !== undefined || r.rooms !== undefined || r.type !== undefined, {
    error: 'gives nothing: add groups, rooms or type',
  });

export const RulesFileSchema = z
  .strictObject(
    { rules: z.array(rule, { error: 'must be a list of rules' }) },
    { error: unknownKey('rules', 'the file must be a map with "rules"') },
  )
  .superRefine((file, ctx) => {
    // Two rules with the same `when` are one rule written twice: say so instead of merging quietly.
    const seen = new Map<string, number>();
    file.rules.forEach((r, index) => {
      const key = whenKey(r.when);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'when'],
          message: `duplicate of rules[${first}].when: merge the two rules`,
          input: r.when,
        });
    });
  })
  .meta({ description: 'The rules file (PROVISIONING_RULES)' });
export type RulesFile = z.output<typeof RulesFileSchema>;

/** Checks a parsed rules file; throws one {@link PayloadError} listing every problem. */
export function parseRulesFile(content: unknown): RulesFile {
  const parsed = RulesFileSchema.safeParse(content);
  if (!parsed.success) {
    const problems = problemsOf(parsed.error.issues);
    throw new PayloadError(`the rules file has ${problems.length} problem(s)`, problems);
  }
  return parsed.data;
}

/** A `when` in a form where equal conditions compare equal: keys sorted, values lower-cased and sorted. */
function whenKey(when: Readonly<Record<string, string | readonly string[] | undefined>>): string {
  return JSON.stringify(
    Object.keys(when)
      .sort()
      .map((key) => {
        const value = when[key];
        const values = value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
        return [key, [...new Set(values.map((v) => v.toLowerCase()))].sort()];
      }),
  );
}

function unknownKey(known: string, notAMap: string) {
  return (issue: z.core.$ZodRawIssue): string | undefined =>
    issue.code === 'unrecognized_keys'
      ? `unknown key (known: ${known})`
      : issue.code === 'invalid_type'
        ? notAMap
        : undefined;
}
