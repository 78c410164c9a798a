import { demoUsers } from '../demo-data';
import { benchSettings } from './access-mesh';
import type { LoadOptions } from './load';

/** The login load's connections: bcrypt-bound, so more would only queue. */
export const loginConnections = 4;

/** autocannon's request sequence for one login: create a flow, then submit it. */
export function loginLoad(identityPublic: string): LoadOptions {
  return {
    url: identityPublic,
    connections: loginConnections,
    durationSeconds: benchSettings.durationSeconds,
    requests: [
      {
        method: 'GET',
        path: '/self-service/login/api',
        onResponse: (_status, body, context) => {
          (context as { flow?: string }).flow = (JSON.parse(body) as { id: string }).id;
        },
      },
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request, context) => ({
          ...request,
          path: `/self-service/login?flow=${String((context as { flow?: string }).flow)}`,
          body: JSON.stringify({
            method: 'password',
            identifier: demoUsers.alice.email,
            password: demoUsers.alice.password,
          }),
        }),
      },
    ],
  };
}
