import { describe, expect, it } from 'vitest';
import {
  bigqueryDialect,
  dialects,
  duckdbDialect,
  findNamedParameters,
  redshiftDialect,
  rewriteNamedParameters,
  tsqlDialect,
} from './dialect.ts';

const names = (sql: string, syntax = duckdbDialect.parameterSyntax) =>
  findNamedParameters(sql, syntax).map((ref) => ref.name);

describe('findNamedParameters', () => {
  it('finds parameters with their positions', () => {
    const sql = 'SELECT * FROM t WHERE a = @first AND b > @second_2';
    const refs = findNamedParameters(sql, duckdbDialect.parameterSyntax);
    expect(refs).toEqual([
      { name: 'first', start: sql.indexOf('@first'), end: sql.indexOf('@first') + 6 },
      { name: 'second_2', start: sql.indexOf('@second_2'), end: sql.length },
    ]);
  });

  it('reports every occurrence of a repeated name', () => {
    expect(names('SELECT @x, @y, @x WHERE @x = 1')).toEqual(['x', 'y', 'x', 'x']);
  });

  it('finds parameters next to operators, parentheses and casts', () => {
    expect(names('SELECT (@a+@b)*@c, @d::INT, -@e, [@f, @g], list[@h]')).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
      'h',
    ]);
  });

  it('ignores @ inside single-quoted strings, including doubled quotes', () => {
    expect(names("SELECT '@no', 'it''s @still_no', @yes")).toEqual(['yes']);
  });

  it('ignores @ inside double-quoted and backtick identifiers', () => {
    expect(names('SELECT "@col", "a""@b" AS "x", @yes')).toEqual(['yes']);
    expect(names('SELECT `@col`, @yes', bigqueryDialect.parameterSyntax)).toEqual(['yes']);
  });

  it('ignores line and block comments', () => {
    expect(names('SELECT 1 -- @no\n, @yes /* @no\n @no */ , @also')).toEqual(['yes', 'also']);
    expect(names('SELECT @a /* unterminated @b')).toEqual(['a']);
  });

  it('leaves @@system variables and @ glued to a word alone', () => {
    expect(names('SELECT @@ROWCOUNT, @@version, @x', tsqlDialect.parameterSyntax)).toEqual(['x']);
    expect(names("SELECT 'x' FROM t WHERE email = user@host OR a = @p")).toEqual(['p']);
  });

  it('needs a letter or underscore after @', () => {
    expect(names('SELECT @1, @ x, @_ok, @é')).toEqual(['_ok']);
  });

  it('an unterminated string hides the rest', () => {
    expect(names("SELECT @a, 'open @b")).toEqual(['a']);
  });

  it('T-SQL: [bracketed identifiers] hide @ and ]] escapes a bracket', () => {
    expect(names('SELECT [@col], [a]]@b], @yes', tsqlDialect.parameterSyntax)).toEqual(['yes']);
    expect(names("SELECT [it's] FROM t WHERE a = @x", tsqlDialect.parameterSyntax)).toEqual(['x']);
  });

  it('without bracket identifiers, [ … ] is an array and its parameters count', () => {
    expect(names('SELECT [@a, @b], arr[OFFSET(@i)]', bigqueryDialect.parameterSyntax)).toEqual([
      'a',
      'b',
      'i',
    ]);
    expect(names('SELECT [@a, @b]', redshiftDialect.parameterSyntax)).toEqual(['a', 'b']);
  });

  it('BigQuery: backslash escapes, triple-quoted strings and # comments', () => {
    const bq = bigqueryDialect.parameterSyntax;
    expect(names("SELECT 'it\\'s @no', @yes", bq)).toEqual(['yes']);
    expect(names('SELECT "a \\" @no", @yes', bq)).toEqual(['yes']);
    expect(names("SELECT '''it's @no''', \"\"\"@no\"\"\", @yes", bq)).toEqual(['yes']);
    expect(names('SELECT @a # @no\n, @b', bq)).toEqual(['a', 'b']);
    expect(names('SELECT `a\\`@no`, @yes', bq)).toEqual(['yes']);
  });

  it('DuckDB and Redshift: dollar-quoted strings hide @, positional $1 does not open one', () => {
    expect(names("SELECT $$ @no $$, $tag$ it's @no $tag$, @yes")).toEqual(['yes']);
    expect(names('SELECT $1, @yes', redshiftDialect.parameterSyntax)).toEqual(['yes']);
  });

  it('without a syntax, defaults to T-SQL-style brackets', () => {
    expect(findNamedParameters('SELECT [@no], @yes').map((r) => r.name)).toEqual(['yes']);
  });
});

describe('rewriteNamedParameters', () => {
  it('replaces each occurrence in order, keeping everything else byte for byte', () => {
    const sql = 'SELECT @a, \'@a\', "@a" -- @a\n FROM t WHERE x = @b AND y = @a';
    const out = rewriteNamedParameters(sql, (name, i) => `$${name}${i}`, duckdbDialect.parameterSyntax);
    expect(out).toBe('SELECT $a0, \'@a\', "@a" -- @a\n FROM t WHERE x = $b1 AND y = $a2');
  });

  it('supports positional styles (Redshift $n, T-SQL keeps @)', () => {
    const order: string[] = [];
    const positional = rewriteNamedParameters(
      'SELECT @x + @y + @x',
      (name) => {
        order.push(name);
        return `$${order.length}`;
      },
      redshiftDialect.parameterSyntax,
    );
    expect(positional).toBe('SELECT $1 + $2 + $3');
    expect(order).toEqual(['x', 'y', 'x']);
  });

  it('returns SQL without parameters unchanged', () => {
    const sql = 'SELECT \'a@b\', "@c" FROM t';
    expect(rewriteNamedParameters(sql, () => 'X', duckdbDialect.parameterSyntax)).toBe(sql);
  });
});

describe('identifier quoting', () => {
  it('DuckDB and Redshift: double quotes, embedded quotes doubled', () => {
    for (const dialect of [duckdbDialect, redshiftDialect]) {
      expect(dialect.quoteIdent('plain')).toBe('"plain"');
      expect(dialect.quoteIdent('a"b')).toBe('"a""b"');
      expect(dialect.quoteIdent('"')).toBe('""""');
      expect(dialect.quoteIdent('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
    }
  });

  it('BigQuery: backticks, with backtick and backslash escaped by backslash', () => {
    expect(bigqueryDialect.quoteIdent('plain')).toBe('`plain`');
    expect(bigqueryDialect.quoteIdent('a`b')).toBe('`a\\`b`');
    expect(bigqueryDialect.quoteIdent('a\\b')).toBe('`a\\\\b`');
    expect(bigqueryDialect.quoteIdent('x`; DROP TABLE t; --')).toBe('`x\\`; DROP TABLE t; --`');
  });

  it('T-SQL: brackets, a closing bracket doubled', () => {
    expect(tsqlDialect.quoteIdent('plain')).toBe('[plain]');
    expect(tsqlDialect.quoteIdent('a]b')).toBe('[a]]b]');
    expect(tsqlDialect.quoteIdent('a[b')).toBe('[a[b]');
    expect(tsqlDialect.quoteIdent('x]; DROP TABLE t; --')).toBe('[x]]; DROP TABLE t; --]');
  });

  it('a quoted identifier is one token to the parameter scanner of its own dialect', () => {
    for (const dialect of Object.values(dialects)) {
      const quoted = dialect.quoteIdent('we@ird"]`\\name');
      expect(names(`SELECT ${quoted}, @p FROM t`, dialect.parameterSyntax), dialect.name).toEqual(['p']);
    }
  });

  it('rejects NUL in identifiers', () => {
    for (const dialect of Object.values(dialects))
      expect(() => dialect.quoteIdent('a\0b')).toThrow(TypeError);
  });
});

describe('dialect fragments', () => {
  it('limit appends the engine row limit', () => {
    expect(duckdbDialect.limit('SELECT 1', 5)).toBe('SELECT 1 LIMIT 5');
    expect(bigqueryDialect.limit('SELECT 1', 5.9)).toBe('SELECT 1 LIMIT 5');
    expect(tsqlDialect.limit('SELECT 1 ORDER BY 1', 3)).toBe('SELECT TOP (3) 1 ORDER BY 1');
    expect(tsqlDialect.limit('SELECT DISTINCT a FROM t', 2.5)).toBe('SELECT DISTINCT TOP (2) a FROM t');
  });

  it('every dialect names its functions', () => {
    for (const dialect of Object.values(dialects)) {
      expect(dialect.fn.countIf('x > 1')).toContain('x > 1');
      expect(dialect.fn.hourOf('ts')).toContain('ts');
      expect(dialect.fn.dateTrunc('day', 'ts')).toMatch(/day/i);
    }
  });
});
