import { describeExpressRouteNaming } from './express-routes-support';

// The default: the http instrumentation's end-of-response hook names the span, no express instrumentation.
describeExpressRouteNaming('route');
