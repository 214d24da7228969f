/**
 * The Glue table as data: the regular expression against the hand parser
 * (run here as a JavaScript pattern, a backtracking engine with Java's
 * leftmost-first semantics; DuckDB's RE2 and Java itself are checked in
 * test/integration/access-log-regex.test.ts), the DDL and its options.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_LOG_COLUMNS,
  ACCESS_LOG_REGEX,
  AccessLogTableOptionError,
  type AccessLogTableOptions,
  accessLogSerdeParameters,
  accessLogTableParameters,
  duckDbLogFiles,
  LogFileListError,
  renderAccessLogTableDdl,
} from '../../workflows/sql/access-log-table.ts';
import { fixtureLines } from '../support/fixtures.ts';
import { differingFields, handRecord } from '../support/table-fields.ts';

const OPTIONS: AccessLogTableOptions = {
  database: 'upload_sentinel',
  table: 'access_logs',
  logBucket: 'sentinel-logs-111122223333',
  logPrefix: 's3-access-logs/',
  accountId: '111122223333',
  region: 'eu-west-1',
  sourceBucket: 'rec-archive-prod',
  projectionStart: '2026/01/01',
};

const LINES = [
  ...fixtureLines('public-samples.log').map((b, i) => ({
    name: `public ${i + 1}`,
    b,
  })),
  ...fixtureLines('edge-cases.log').map((b, i) => ({
    name: `synthetic ${i + 1}`,
    b,
  })),
];

/** Groups of a JavaScript match, named after the table's columns. */
function columnsOf(line: string): Record<string, string | null> | null {
  const m = new RegExp(ACCESS_LOG_REGEX).exec(line);
  if (m === null) return null;
  return Object.fromEntries(
    ACCESS_LOG_COLUMNS.map((c, i) => [c.name, m[i + 1] ?? null]),
  );
}

describe('ACCESS_LOG_REGEX', () => {
  it('has one group per column', () => {
    const groups =
      (new RegExp(`${ACCESS_LOG_REGEX}|`).exec('')?.length ?? 0) - 1;
    expect(groups).toBe(ACCESS_LOG_COLUMNS.length);
  });

  it('uses no construct RE2 lacks (lookaround, backreference, atomic group, inline flag)', () => {
    expect(ACCESS_LOG_REGEX).not.toMatch(/\(\?[=!<>]|\\[1-9]|\(\?[a-z]|\.\*/);
  });

  it.each(LINES)('splits $name like the hand parser', ({ b }) => {
    const line = b.toString('utf8').replace(/[ \r]+$/, '');
    const c = columnsOf(line);
    expect(c).not.toBeNull();
    expect(differingFields(c ?? {}, handRecord(b))).toEqual([]);
    expect(c?.line).toBe(line);
  });

  it('keeps the truncated public line 59 in place (host id, not a shifted referrer)', () => {
    const c = columnsOf(LINES[58]?.b.toString('utf8') ?? '') as Record<
      string,
      string | null
    >;
    expect(c).toMatchObject({
      referrer: '"-"',
      useragent: '"-"',
      versionid: '-',
      hostid: 'JKffSS5PIDjVhXt/BUIsvlbzznhYf6EVers',
      sigv: null,
    });
  });

  it('rejects what is not a record', () => {
    for (const line of ['', 'garbage', 'a b [x] c d e REST.PUT.PART k "x"']) {
      expect(columnsOf(line)).toBeNull();
    }
  });
});

describe('renderAccessLogTableDdl', () => {
  const ddl = renderAccessLogTableDdl(OPTIONS);

  it('declares every column, the timestamp partition and the RegexSerDe', () => {
    for (const c of ACCESS_LOG_COLUMNS) {
      expect(ddl).toContain(`\`${c.name}\` ${c.type}`);
    }
    expect(ddl).toMatch(/PARTITIONED BY \(\n {2}`timestamp` string/);
    expect(ddl).toContain(
      "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'",
    );
    expect(ddl).toContain(
      "LOCATION 's3://sentinel-logs-111122223333/s3-access-logs/111122223333/eu-west-1/rec-archive-prod/'",
    );
  });

  it('escapes the regular expression so Hive reads it back unchanged', () => {
    const m = /'input\.regex'='((?:[^'\\]|\\.)*)'/.exec(ddl);
    const unescaped = (m?.[1] ?? '').replace(/\\(.)/g, '$1');
    expect(unescaped).toBe(ACCESS_LOG_REGEX);
  });

  it('projects date partitions over the partitioned prefix', () => {
    expect(accessLogTableParameters(OPTIONS)).toEqual({
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.timestamp.type': 'date',
      'projection.timestamp.format': 'yyyy/MM/dd',
      'projection.timestamp.interval': '1',
      'projection.timestamp.interval.unit': 'DAYS',
      'projection.timestamp.range': '2026/01/01,NOW',
      'storage.location.template':
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholder
        's3://sentinel-logs-111122223333/s3-access-logs/111122223333/eu-west-1/rec-archive-prod/${timestamp}',
    });
    expect(ddl).toContain("'projection.timestamp.range'='2026/01/01,NOW'");
    expect(accessLogSerdeParameters()['input.regex']).toBe(ACCESS_LOG_REGEX);
  });

  it('lets CDK tokens through the table parameters, not through the DDL', () => {
    const tokens = {
      ...OPTIONS,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CDK token
      logBucket: '${Token[TOKEN.123]}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CDK token
      accountId: '${Token[AWS.AccountId.4]}',
    };
    expect(accessLogTableParameters(tokens)['storage.location.template']).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: tokens and Athena's placeholder
      's3://${Token[TOKEN.123]}/s3-access-logs/${Token[AWS.AccountId.4]}/eu-west-1/rec-archive-prod/${timestamp}',
    );
    expect(() => renderAccessLogTableDdl(tokens)).toThrow(
      AccessLogTableOptionError,
    );
    expect(() =>
      accessLogTableParameters({ ...tokens, projectionStart: 'yesterday' }),
    ).toThrow(AccessLogTableOptionError);
  });

  it.each([
    ['database', "x'; DROP TABLE y; --"],
    ['table', 'Access-Logs'],
    ['logBucket', "b' LOCATION 's3://evil"],
    ['logPrefix', 'no-trailing-slash'],
    ['logPrefix', "a'/"],
    ['accountId', '1111'],
    ['region', 'eu-west-1; x'],
    ['sourceBucket', 'x/y'],
    ['projectionStart', '2026-01-01'],
    ['projectionStart', '2026/02/30'],
  ])('rejects %s %j', (field, value) => {
    expect(() =>
      renderAccessLogTableDdl({ ...OPTIONS, [field]: value }),
    ).toThrow(AccessLogTableOptionError);
  });

  it('never lets a quote into the DDL through an option', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(OPTIONS) as (keyof typeof OPTIONS)[])),
        fc.string(),
        (field, value) => {
          try {
            renderAccessLogTableDdl({ ...OPTIONS, [field]: value });
            return !/['\\]/.test(value);
          } catch (err) {
            return err instanceof AccessLogTableOptionError;
          }
        },
      ),
    );
  });
});

describe('duckDbLogFiles', () => {
  it('accepts plain absolute paths', () => {
    const files = ['/tmp/logs/2026/03/14/2026-03-14-00-00-00-ABC'];
    expect(duckDbLogFiles(files)).toBe(files);
  });

  it.each([
    [[]],
    [['relative/path']],
    [['/tmp/logs/*']],
    [['/tmp/logs/[ab]']],
    [['/tmp/logs/a?b']],
    [['/tmp/{a,b}']],
    [['/tmp/a\\b']],
    [['s3://bucket/key']],
    [['/tmp/http://x']],
  ])('rejects %j', (files) => {
    expect(() => duckDbLogFiles(files)).toThrow(LogFileListError);
  });
});
