export { freePort } from './ports';
export { waitFor, waitForHttpOk } from './wait';
export {
  startProcess,
  startService,
  serviceBin,
  repoRoot,
  type ProcessOptions,
  type RunningProcess,
  type ServiceName,
} from './process';
