/**
 * JSON Merge Patch (RFC 7396) for `state:` topics: applying a patch (the maintained
 * `tiny-merge-patch`, ESM, no dependencies, under 1 KB), the patch that turns one document
 * into another (what a `PUT` publishes), and the checks a document or patch must pass.
 */
import { apply } from 'tiny-merge-patch';
import type { JsonObject, JsonValue } from './messages.js';

/** Deepest nesting a document or patch may have. */
export const MAX_JSON_DEPTH = 32;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The document after `patch` (RFC 7396). `doc` is not changed; unchanged members are shared. */
export function applyMergePatch(doc: JsonObject, patch: JsonObject): JsonObject {
  return apply(doc, patch) as JsonObject;
}

/**
 * The smallest merge patch that turns `before` into `after`: changed members, `null` for
 * removed ones, objects recursed into, anything else (arrays included) replaced whole.
 * `{}` when they are equal. `after` must hold no `null` member (RFC 7396 cannot set one).
 */
export function mergePatchBetween(before: JsonObject, after: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    const old = before[key];
    if (isPlainObject(value) && isPlainObject(old)) {
      const inner = mergePatchBetween(old as JsonObject, value as JsonObject);
      if (Object.keys(inner).length > 0) patch[key] = inner;
    } else if (!(key in before) || !jsonEqual(old, value)) {
      patch[key] = value;
    }
  }
  return patch;
}

/**
 * One merge patch that does what `first` then `second` do to any document, or undefined when
 * no single merge patch can (RFC 7396 cannot say "replace this object": `first` setting or
 * deleting a member that `second` then merges an object into). Used to compact a `state:`
 * topic's resume into one update. Neither patch is changed.
 */
export function composeMergePatches(first: JsonObject, second: JsonObject): JsonObject | undefined {
  const out: JsonObject = { ...first };
  for (const [key, value] of Object.entries(second)) {
    const before = out[key];
    if (!isPlainObject(value) || before === undefined) out[key] = value;
    else if (isPlainObject(before)) {
      const inner = composeMergePatches(before as JsonObject, value as JsonObject);
      if (!inner) return undefined;
      out[key] = inner;
    } else return undefined; // `first` left a non-object (or nothing) where `second` merges members
  }
  return out;
}

/** Structural equality of two JSON values (member order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as JsonValue[];
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const ka = Object.keys(a);
  const ob = b as JsonObject;
  return ka.length === Object.keys(ob).length && ka.every((key) => key in ob && jsonEqual(a[key], ob[key]));
}

/**
 * Why `value` cannot be a document (`mode: 'document'`) or a patch (`'patch'`), with the
 * path of the first bad member (`doc.a.b`), or null. Both must be JSON objects no deeper than
 * MAX_JSON_DEPTH with no `__proto__` member; a document may hold `null` only inside arrays
 * (a merge patch reads a `null` member as "delete").
 */
export function jsonDocumentError(value: unknown, mode: 'document' | 'patch', path = mode === 'document' ? 'document' : 'patch'): string | null {
  if (!isPlainObject(value)) return `${path} must be a JSON object`;
  return walk(value, path, mode === 'document', 0);
}

function walk(value: unknown, path: string, noNullMembers: boolean, depth: number): string | null {
  if (depth > MAX_JSON_DEPTH) return `${path} is nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} must be a finite number`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const error = walk(value[i], `${path}[${i}]`, false, depth + 1);
      if (error) return error;
    }
    return null;
  }
  if (!isPlainObject(value)) return `${path} is not JSON`;
  for (const [key, member] of Object.entries(value)) {
    const at = `${path}.${key.slice(0, 64)}`;
    if (key === '__proto__') return `${at}: "__proto__" is not allowed as a member name`;
    if (member === null && noNullMembers) return `${at} is null (a document cannot hold null members; leave the member out)`;
    const error = walk(member, at, noNullMembers, depth + 1);
    if (error) return error;
  }
  return null;
}
