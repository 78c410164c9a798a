export type ParsedDsn =
  { dialect: 'sqlite'; filename: string } | { dialect: 'postgres'; connectionString: string };

/** Ory's DSN forms: `memory`, `sqlite://path/to/file.sqlite`, `postgres://user:pass@host:port/db`. */
export function parseDsn(dsn: string): ParsedDsn {
  if (dsn === 'memory' || dsn === 'sqlite://:memory:' || dsn === 'sqlite::memory:') {
    return { dialect: 'sqlite', filename: ':memory:' };
  }
  if (dsn.startsWith('sqlite://')) {
    const filename = dsn.slice('sqlite://'.length).split('?')[0] ?? '';
    if (filename === '')
      throw new Error('dsn: "sqlite://" needs a file path, as in sqlite://./data/identity.sqlite');
    return { dialect: 'sqlite', filename };
  }
  if (dsn.startsWith('postgres://') || dsn.startsWith('postgresql://')) {
    return { dialect: 'postgres', connectionString: dsn };
  }
  throw new Error('dsn: must be memory, sqlite://<file> or postgres://user:pass@host:port/db');
}
