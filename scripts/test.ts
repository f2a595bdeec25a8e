/**
 * Runs the typecheck and every package's tests through turbo (with a PostgreSQL server for packages/db),
 * then prints one closing line,
 * `N passed, N failed`, summed over packages (bun:test's per-package "N pass" / "N fail" lines;
 * a failed typecheck counts as one failure). Exits non-zero on any failure.
 */
/**
 * packages/db runs its store tests against PostgreSQL too; without a DATABASE_URL, start a local server
 * (scripts/postgres.sh installs and starts one, printing `export DATABASE_URL=...`).
 */
function ensurePostgres(): void {
  if (process.env.DATABASE_URL) return;
  console.log("test: DATABASE_URL is not set; starting a local PostgreSQL for packages/db (scripts/postgres.sh)");
  const pg = Bun.spawnSync(["bash", "scripts/postgres.sh"], { stdout: "pipe", stderr: "inherit" });
  const url = /export DATABASE_URL=(\S+)/.exec(pg.stdout.toString())?.[1];
  if (pg.exitCode === 0 && url) process.env.DATABASE_URL = url;
  else console.log("test: could not start PostgreSQL; packages/db will report its PostgreSQL tests as skipped or failed");
}

ensurePostgres();

const turbo = (task: string) =>
  Bun.spawn(["bunx", "turbo", "run", task, "--continue", "--output-logs=full", "--log-prefix=task"], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, FORCE_COLOR: "0" },
  });

async function run(task: string): Promise<{ code: number; text: string }> {
  const proc = turbo(task);
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const s = decoder.decode(chunk, { stream: true });
      text += s;
      sink.write(s);
    }
  };
  await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
  return { code: await proc.exited, text };
}

const typecheck = await run("typecheck");
const tests = await run("test");
let passed = 0;
let failed = typecheck.code === 0 ? 0 : 1;
for (const m of tests.text.matchAll(/^.*:test: +(\d+) (pass|fail)\s*$/gm)) {
  if (m[2] === "pass") passed += Number(m[1]);
  else failed += Number(m[1]);
}
if (tests.code !== 0 && failed === 0) failed = 1; // a package crashed before its summary
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
