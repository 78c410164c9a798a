import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';

export interface RehearsalPostgres {
  /** `host:port` of the server that stands in for compose's `postgres:5432`. */
  address: string;
  /** init.sql's database names → the names this run created in their place. */
  databases: Map<string, string>;
  /** Drops this run's databases. */
  drop(): Promise<void>;
}

async function withClient<T>(dsn: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: dsn });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Prepares a PostgreSQL server as compose's postgres service does on its first start: the
 * POSTGRES_USER role with POSTGRES_PASSWORD, then init.sql run as that role. init.sql's databases get a
 * prefix unique to this run (`compose_rehearsal_<hex>_identity`), so runs never collide with each other
 * or with other tests; the role is created only when missing, so a second run works.
 */
export async function preparePostgres(
  adminDsn: string,
  environment: Record<string, string>,
  initSqlPath: string,
): Promise<RehearsalPostgres> {
  const user = environment.POSTGRES_USER ?? 'postgres';
  const password = environment.POSTGRES_PASSWORD ?? '';
  const admin = new URL(adminDsn);
  admin.pathname = '/postgres';
  await withClient(admin.toString(), async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    if (exists.rowCount === 0) {
      await client
        .query(`CREATE ROLE "${user}" LOGIN CREATEDB PASSWORD ${quoteLiteral(password)}`)
        // Two runs at once: the other one created it between the check and here.
        .catch((error: { code?: string }) => {
          if (error.code !== '42710' && error.code !== '23505') throw error;
        });
    }
  });
  const prefix = `compose_rehearsal_${randomBytes(4).toString('hex')}_`;
  const databases = new Map<string, string>();
  const initSql = readFileSync(initSqlPath, 'utf8').replace(
    /CREATE DATABASE (\w+)/gi,
    (_match, name: string) => {
      databases.set(name, `${prefix}${name}`);
      return `CREATE DATABASE ${prefix}${name}`;
    },
  );
  const asUser = new URL(admin);
  asUser.username = user;
  asUser.password = password;
  await withClient(asUser.toString(), async (client) => {
    // CREATE DATABASE cannot run inside the implicit transaction of a multi-statement query.
    for (const statement of initSql.split(/;\s*$/m)) {
      const sql = statement.replace(/--.*$/gm, '').trim();
      if (sql !== '') await client.query(sql);
    }
  });
  return {
    address: `${admin.hostname}:${admin.port || '5432'}`,
    databases,
    drop: () =>
      withClient(admin.toString(), async (client) => {
        for (const name of databases.values())
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}
