import { parseOpl } from './parse';

// A child process of its own: the TypeScript compiler (about 50 MB) lives only as long as one parse, and
// its memory goes back to the system when the process exits. The text comes in the first IPC message; the
// answer goes back the same way, then the channel closes and the process ends.
process.once('message', (message: { text: string }) => {
  process.send?.(parseOpl(message.text), () => process.disconnect());
});
