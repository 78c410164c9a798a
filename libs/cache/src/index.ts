export { ExpiringMap } from './expiring-map';
