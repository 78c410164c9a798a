import { migrate, type Migration } from './migrate';
import { openDatabase } from './open';

/** `<service> migrate`: applies pending migrations to `dsn`, prints what it did, and closes the connection. */
export async function migrateCommand(
  service: string,
  dsn: string,
  migrations: readonly Migration[],
): Promise<void> {
  const db = openDatabase(dsn, {
    onIdleError: (error) => process.stderr.write(`${service}: database connection lost: ${error.message}\n`),
  });
  try {
    const applied = await migrate(db, migrations, service);
    process.stdout.write(
      applied.length > 0
        ? `${service}: applied migrations ${applied.join(', ')}\n`
        : `${service}: the database is up to date\n`,
    );
  } finally {
    await db.close();
  }
}
