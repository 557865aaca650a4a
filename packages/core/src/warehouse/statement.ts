/**
 * Binding a statement: every `@name` the SQL uses must have a value, each value is typed once
 * (values.ts), and an untyped NULL becomes the `NULL` literal, which every engine types from its
 * context (a driver never has to guess the type of a bare null).
 */
import { findNamedParameters, type SqlDialect } from '../dialect.ts';
import { DriverError } from '../portable/errors.ts';
import type { BoundStatement } from './driver.ts';
import type { QueryParameters } from './types.ts';
import { type ParameterValue, parameterValue, type TypedValue } from './values.ts';

export function bindStatement(
  dialect: SqlDialect,
  sql: string,
  params: QueryParameters | undefined,
): BoundStatement {
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw new DriverError('InvalidArgument', { detail: 'the SQL text is empty' });
  }
  const refs = findNamedParameters(sql, dialect.parameterSyntax);
  if (refs.length === 0) return { sql, parameters: new Map<string, TypedValue>() };
  const parameters = new Map<string, ParameterValue>();
  for (const { name } of refs) {
    if (parameters.has(name)) continue;
    if (!params || !Object.hasOwn(params, name)) {
      throw new DriverError('InvalidArgument', { detail: `parameter @${name} has no value` });
    }
    try {
      parameters.set(name, parameterValue(params[name]));
    } catch (error) {
      if (DriverError.isInstance(error)) {
        throw new DriverError('InvalidArgument', { detail: `parameter @${name}: ${error.detail}` });
      }
      throw error;
    }
  }
  let text = '';
  let last = 0;
  for (const ref of refs) {
    if (parameters.get(ref.name)?.type !== 'null') continue;
    text += `${sql.slice(last, ref.start)}NULL`;
    last = ref.end;
  }
  const typed = new Map<string, TypedValue>();
  for (const [name, value] of parameters) if (value.type !== 'null') typed.set(name, value);
  return { sql: text + sql.slice(last), parameters: typed };
}
