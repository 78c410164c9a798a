import Database from 'better-sqlite3';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';

/**
 * The two pieces of an access request's own work that are not HTTP, timed in CPU ms per operation in a
 * process of their own (the services' node flags): one SQLite point statement (a prepared SELECT by primary
 * key on an in-memory table, better-sqlite3 straight, no wrapper), and one JWT sign plus one verify with
 * jose, the gateway's id_token. Prints one JSON line.
 */
const statements = Number(process.env.ANCHOR_SQL_STATEMENTS ?? 50_000);
const tokens = Number(process.env.ANCHOR_JWT_TOKENS ?? 400);
const algorithm = process.env.ANCHOR_JWT_ALG ?? 'ES256';

function cpuMsOf(work: () => void): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function cpuMsOfAsync(work: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function sqliteMsPerStatement(): number {
  const db = new Database(':memory:');
  db.exec(
    'CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, owner TEXT)',
  );
  const insert = db.prepare('INSERT INTO documents (id, title, body, owner) VALUES (?, ?, ?, ?)');
  for (let row = 0; row < 1_000; row += 1)
    insert.run(`doc-${row}`, `title ${row}`, 'a small document', 'alice');
  const find = db.prepare('SELECT id, title, body, owner FROM documents WHERE id = ?');
  const run = (count: number) => {
    for (let i = 0; i < count; i += 1) find.get(`doc-${i % 1_000}`);
  };
  run(statements / 10); // warm-up: the JIT and SQLite's page cache
  const ms = cpuMsOf(() => run(statements));
  db.close();
  return ms / statements;
}

async function jwtMsPerSignAndVerify(): Promise<number> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm);
  // The gateway verifies with a key it read from a JWKS, as a relying party would.
  const verifyKey = await importJWK(await exportJWK(publicKey), algorithm);
  const once = async () => {
    const token = await new SignJWT({ sub: 'a1b2c3', session: { identity: { id: 'a1b2c3' } } })
      .setProtectedHeader({ alg: algorithm, kid: 'anchor' })
      .setIssuer('http://127.0.0.1:4455/')
      .setAudience('documents')
      .setIssuedAt()
      .setExpirationTime('1m')
      .setJti('8c3b2d4e-0000-4000-8000-000000000000')
      .sign(privateKey);
    await jwtVerify(token, verifyKey, { issuer: 'http://127.0.0.1:4455/', audience: 'documents' });
  };
  for (let i = 0; i < tokens / 10; i += 1) await once();
  const ms = await cpuMsOfAsync(async () => {
    for (let i = 0; i < tokens; i += 1) await once();
  });
  return ms / tokens;
}

async function main(): Promise<void> {
  const sqlite = sqliteMsPerStatement();
  const jwt = await jwtMsPerSignAndVerify();
  process.stdout.write(
    `${JSON.stringify({ sqliteMsPerStatement: sqlite, jwtMsPerSignAndVerify: jwt, algorithm })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`anchor micro failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
