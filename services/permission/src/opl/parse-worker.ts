import { parentPort, workerData } from 'node:worker_threads';
import { parseOpl } from './parse';

// Runs in a worker thread: the TypeScript compiler (about 50 MB) lives only as long as one parse.
parentPort?.postMessage(parseOpl((workerData as { text: string }).text));
