/**
 * The Glue table's regular expression in the engines that run it: DuckDB
 * (RE2, the local stand-in) on both fixture files through the stand-in
 * table, field by field against the hand parser; and, when a JDK is on the
 * PATH, Java's java.util.regex (Athena's RegexSerDe), group by group against
 * DuckDB. The AWS-documented regex is measured on the same lines.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  loadDuckDbAccessLog,
  runDuckDbQuery,
} from '../../adapters/duckdb/duckdb-query-runner.ts';
import type { ScanRow } from '../../core/scan/ports.ts';
import {
  ACCESS_LOG_COLUMNS,
  ACCESS_LOG_REGEX,
  AWS_DOCUMENTED_REGEX,
  DUCKDB_ACCESS_LOG_TABLE,
  sqlString,
} from '../../workflows/sql/access-log-table.ts';
import { fixtureLines, fixturePath } from '../support/fixtures.ts';
import {
  AWS_DOCUMENTED_COLUMNS,
  differingFields,
  handRecord,
} from '../support/table-fields.ts';

const FILES = {
  public: fixturePath('public-samples.log'),
  synthetic: fixturePath('edge-cases.log'),
} as const;

/** Hand-parser records by line text (trimmed as the line splitter trims). */
const RECORDS = new Map(
  [
    ...fixtureLines('public-samples.log'),
    ...fixtureLines('edge-cases.log'),
  ].map((b) => [b.toString('utf8').replace(/[ \r]+$/, ''), handRecord(b)]),
);

let instance: DuckDBInstance;
let db: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
});

afterAll(() => {
  db.closeSync();
  instance.closeSync();
});

/** The raw lines of a file, read the way the stand-in table reads them. */
function readLines(file: string): string {
  return `read_csv([${sqlString(file)}], columns = {'line': 'VARCHAR'}, delim = E'\\x01', quote = '', escape = '', header = false, auto_detect = false)`;
}

describe.each(Object.entries(FILES))('%s fixture in DuckDB', (_name, file) => {
  let rows: ScanRow[];

  beforeAll(async () => {
    await loadDuckDbAccessLog(db, [file]);
    rows = await runDuckDbQuery(
      db,
      `SELECT * FROM ${DUCKDB_ACCESS_LOG_TABLE}`,
      [],
    );
  });

  it('matches every line', () => {
    const lines = fixtureLines(
      file === FILES.public ? 'public-samples.log' : 'edge-cases.log',
    );
    expect(rows).toHaveLength(lines.length);
    expect(rows.filter((r) => r.line === null)).toEqual([]);
  });

  it('reads every field as the hand parser does', () => {
    const differences = rows.map((r) => {
      const record = RECORDS.get(r.line ?? '');
      return record === undefined
        ? `${r.line}: no such line`
        : differingFields(r, record).map((f) => `${r.line}: ${f}`);
    });
    expect(differences.flat()).toEqual([]);
  });

  it('names the partition after the file path', () => {
    // The fixtures live outside a yyyy/MM/dd folder: no partition.
    expect(new Set(rows.map((r) => r.timestamp))).toEqual(new Set([null]));
  });
});

describe('the AWS-documented regex on the same lines (evidence)', () => {
  async function measure(file: string) {
    const names = AWS_DOCUMENTED_COLUMNS.map(sqlString).join(', ');
    const rows = await runDuckDbQuery(
      db,
      `SELECT line, regexp_full_match(line, ${sqlString(AWS_DOCUMENTED_REGEX)}) AS matched,
         unnest(regexp_extract(line, ${sqlString(AWS_DOCUMENTED_REGEX)}, [${names}]))
       FROM ${readLines(file)} WHERE line IS NOT NULL`,
      [],
    );
    let missed = 0;
    let misread = 0;
    for (const r of rows) {
      if (r.matched !== 'true') missed++;
      else {
        const line = (r.line ?? '').replace(/[ \r]+$/, '');
        const record = RECORDS.get(line);
        if (record === undefined) throw new Error(`unknown line ${line}`);
        if (differingFields(r, record).length > 0) misread++;
      }
    }
    return { lines: rows.length, missed, misread };
  }

  it('misses 12 of the 105 fixture lines and misreads 29 more', async () => {
    // Why our table has its own expression (docs/access-log-format.md). Missed (every column NULL): quotes
    // inside the request URI, referrer or user agent (public 23, 24, 26, 53,
    // 56, 58; synthetic L32, L36), a referrer with spaces (synthetic L37), a
    // double space (public 29, synthetic L7), a requester with spaces
    // (synthetic L34). Misread: its tail group wants 8 fields, so every 24-
    // and 25-field line loses host id to TLS version; the two-token host id
    // shifts the tail; unknown extras read as access point ARN.
    expect(await measure(FILES.public)).toEqual({
      lines: 59,
      missed: 7,
      misread: 27,
    });
    expect(await measure(FILES.synthetic)).toEqual({
      lines: 46,
      missed: 5,
      misread: 2,
    });
  });
});

/** Java's java.util.regex, as Hive's RegexSerDe runs it: `matches()`, groups. */
const JAVA_SERDE = `
import java.nio.file.*; import java.util.regex.*; import java.nio.charset.StandardCharsets;
public class SerDe {
  public static void main(String[] a) throws Exception {
    Pattern p = Pattern.compile(Files.readString(Path.of(a[0])));
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < a.length; i++) {
      for (String line : Files.readAllLines(Path.of(a[i]), StandardCharsets.UTF_8)) {
        if (line.isEmpty()) continue;
        Matcher m = p.matcher(line);
        if (!m.matches()) { out.append("null\\n"); continue; }
        StringBuilder row = new StringBuilder("[");
        for (int g = 1; g <= m.groupCount(); g++) {
          if (g > 1) row.append(',');
          String v = m.group(g);
          if (v == null) { row.append("null"); continue; }
          row.append('"');
          for (char c : v.toCharArray()) {
            if (c == '"' || c == '\\\\') row.append('\\\\').append(c);
            else if (c < 0x20 || c > 0x7e) row.append(String.format("\\\\u%04x", (int) c));
            else row.append(c);
          }
          row.append('"');
        }
        out.append(row).append("]\\n");
      }
    }
    System.out.print(out);
  }
}
`;

// Found by the global setup (test/support/tools.ts); null when missing
// outside CI, where the check is skipped with one line.
const JAVA = inject('java');

describe.skipIf(JAVA === null)('Java (Athena RegexSerDe semantics)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'serde-'));
    await writeFile(join(dir, 'SerDe.java'), JAVA_SERDE);
    await writeFile(join(dir, 'regex.txt'), ACCESS_LOG_REGEX);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('extracts the same groups as DuckDB from every fixture line', async () => {
    const java = execFileSync(
      JAVA ?? 'java',
      [
        join(dir, 'SerDe.java'),
        join(dir, 'regex.txt'),
        FILES.public,
        FILES.synthetic,
      ],
      { encoding: 'utf8' },
    )
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as (string | null)[] | null);
    const names = ACCESS_LOG_COLUMNS.map((c) => sqlString(c.name)).join(', ');
    const duck = await runDuckDbQuery(
      db,
      `SELECT unnest(regexp_extract(line, ${sqlString(ACCESS_LOG_REGEX)}, [${names}]))
       FROM read_csv([${sqlString(FILES.public)}, ${sqlString(FILES.synthetic)}], columns = {'line': 'VARCHAR'}, delim = E'\\x01', quote = '', escape = '', header = false, auto_detect = false)
       WHERE line IS NOT NULL`,
      [],
    );
    expect(java).toHaveLength(105);
    // Java has NULL for a group that did not take part, DuckDB ''.
    const asJava = duck.map((r) =>
      ACCESS_LOG_COLUMNS.map((c) => (r[c.name] === '' ? null : r[c.name])),
    );
    expect(java.map((g) => g?.map((v) => (v === '' ? null : v)))).toEqual(
      asJava,
    );
  });
});
