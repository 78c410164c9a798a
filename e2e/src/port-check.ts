import { createServer } from 'node:net';

/** Whether something already listens on 127.0.0.1:port (or the port cannot be bound for another reason). */
function isTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** The first of the named ports that is taken, in order; undefined when all are free. */
export async function firstTakenPort(
  ports: readonly { name: string; port: number }[],
): Promise<{ name: string; port: number } | undefined> {
  for (const entry of ports) if (await isTaken(entry.port)) return entry;
  return undefined;
}
