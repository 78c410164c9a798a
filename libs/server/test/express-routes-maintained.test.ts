import { describeExpressRouteNaming } from './express-routes-support';

// @opentelemetry/instrumentation-express, still selectable: the same names as the default.
describeExpressRouteNaming('opentelemetry');
