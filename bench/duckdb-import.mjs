// Anchor for scripts/bench-cost-import: DuckDB's CSV import of the same FOCUS file into a
// database file, CREATE TABLE ... AS SELECT * FROM read_csv(...), through the npm package
// @duckdb/node-api (bench/package.json). Prints "duckdb: ROWS rows in SECONDS s".
// Usage: node bench/duckdb-import.mjs CSV DBFILE [THREADS]
import { DuckDBInstance } from '@duckdb/node-api';

const [csv, dbfile, threads = '2'] = process.argv.slice(2);
if (!csv || !dbfile) {
  console.error('usage: node bench/duckdb-import.mjs CSV DBFILE [THREADS]');
  process.exit(2);
}
const instance = await DuckDBInstance.create(dbfile, { threads });
const conn = await instance.connect();
const t0 = performance.now();
// The path is the bench's own temporary file; quoted as an SQL string literal all the same.
await conn.run(`CREATE TABLE focus AS SELECT * FROM read_csv('${csv.replaceAll("'", "''")}')`);
const secs = (performance.now() - t0) / 1000;
const reader = await conn.runAndReadAll('SELECT COUNT(*) FROM focus');
const rows = Number(reader.getRows()[0][0]);
console.log(`duckdb: ${rows} rows in ${secs.toFixed(2)} s`);
