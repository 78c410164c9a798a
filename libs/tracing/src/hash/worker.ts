import bcrypt from 'bcryptjs';

export type HashTask =
  { op: 'generate'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

/** Runs in a piscina worker thread, so bcrypt's CPU time never blocks the service's event loop. */
export default async function runHashTask(task: HashTask): Promise<string | boolean> {
  if (task.op === 'generate') return bcrypt.hash(task.password, task.cost);
  return bcrypt.compare(task.password, task.hash);
}
