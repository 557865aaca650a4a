/**
 * Listing: a lazy walk of the data tree in UTF-8 key order (walk.ts), cut into pages whose token
 * records the last key or common prefix returned, so a page is resumed exactly where it ended
 * however the tree changed meanwhile.
 */
import {
  CloudmuxError,
  DriverError,
  type DriverListOptions,
  type ListPage,
  type ObjectInfo,
} from '@cloudmux/core';
import { fail } from './errors.ts';
import { compareUtf8 } from './keys.ts';
import type { Layout } from './layout.ts';
import { current } from './reader.ts';
import { type WalkCursor, walkKeys } from './walk.ts';

interface PageToken {
  /** last key or common prefix returned */
  a: string;
  /** true when `a` is a common prefix: everything under it was already returned */
  c?: 1;
  p: string;
  d: string;
}

function decodeToken(token: string, prefix: string, delimiter: string): PageToken {
  let parsed: PageToken;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageToken;
  } catch (error) {
    throw fail('InvalidArgument', 'malformed pageToken', error);
  }
  if (typeof parsed?.a !== 'string' || parsed.p !== prefix || parsed.d !== delimiter) {
    throw fail('InvalidArgument', 'pageToken does not belong to a listing with this prefix and delimiter');
  }
  return parsed;
}

export async function listPage(layout: Layout, options: DriverListOptions): Promise<ListPage> {
  const { prefix, pageSize } = options;
  const delimiter = options.delimiter ?? '';
  const cursor: WalkCursor = {};
  if (options.startAfter) cursor.after = options.startAfter;
  if (options.pageToken) {
    const token = decodeToken(options.pageToken, prefix, delimiter);
    if (!cursor.after || compareUtf8(token.a, cursor.after) > 0) cursor.after = token.a;
    if (token.c) cursor.skipUnder = token.a;
  }

  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let last: PageToken | undefined;
  let more = false;
  try {
    for await (const key of walkKeys(layout.root, prefix, cursor)) {
      if (keys.length + commonPrefixes.length === pageSize) {
        more = true;
        break;
      }
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) {
        const common = key.slice(0, cut + delimiter.length);
        commonPrefixes.push(common);
        cursor.skipUnder = common;
        last = { a: common, c: 1, p: prefix, d: delimiter };
      } else {
        keys.push(key);
        last = { a: key, p: prefix, d: delimiter };
      }
    }
  } catch (error) {
    throw layout.translate(error, 'list', undefined, layout.root);
  }

  const objects: ObjectInfo[] = [];
  for (const key of keys) {
    try {
      objects.push((await current(layout, key, 'list', 'listed')).info);
    } catch (error) {
      // Deleted between the walk and the stat: it is simply no longer there.
      if (!hasCode(error, 'NotFound')) throw error;
    }
  }
  const page: ListPage = { objects, commonPrefixes };
  if (more && last) page.nextPageToken = Buffer.from(JSON.stringify(last)).toString('base64url');
  return page;
}

const hasCode = (error: unknown, code: string) =>
  (DriverError.isInstance(error) || CloudmuxError.isInstance(error)) && error.code === code;
