import { html, Html } from '@mesh/html';
import type { PageLog } from './page-log';

const styles = new Html(`
:root { font-family: system-ui, sans-serif; color: #1b1f24; }
body { margin: 0; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #24292f; color: #fff; }
header a { color: #fff; }
header form { margin-left: auto; }
main { padding: 1rem; max-width: 60rem; }
h1 { font-size: 1.4rem; }
label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
input, textarea, button { font: inherit; padding: .35rem .5rem; }
input[type=email], input[type=password], input[type=text], textarea { width: 100%; max-width: 28rem; box-sizing: border-box; }
button { margin-top: .8rem; cursor: pointer; }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid #f0b429; outline-offset: 1px; }
.messages li { margin: .2rem 0; }
.error, .messages .error { color: #b42318; }
.info { color: #0a5ea8; }
.request { margin-top: 2rem; padding: .6rem .8rem; border-top: 1px solid #d0d7de; font-size: .9rem; background: #f6f8fa; }
.request code { font-size: .85rem; }
.denied { border-left: 4px solid #b42318; padding-left: .8rem; }
table { border-collapse: collapse; }
td, th { text-align: left; padding: .3rem .8rem .3rem 0; }
`);

export interface PageContext {
  log: PageLog;
  jaegerUiUrl: string;
  /** The signed-in person's email, for the header; undefined on the public pages. */
  email?: string;
  /** The web app's own anti-forgery token for its forms (sign out, new document). */
  csrfToken?: string;
}

/** The request panel every page ends with: its status, latency, trace link, and the calls it made. */
function requestPanel(context: PageContext, status: number): Html {
  const { log } = context;
  const traceLink = log.traceId
    ? html`trace
        <a href="${context.jaegerUiUrl}/trace/${log.traceId}" data-trace-id="${log.traceId}"
          ><code>${log.traceId}</code></a
        >`
    : html`no trace (tracing is off)`;
  return html`<section class="request" aria-label="This request">
    <p>
      <strong>This page:</strong> <code>${log.method} ${log.path}</code> →
      <strong data-status="${status}">${status}</strong> in
      <span data-latency>${log.elapsedMs().toFixed(1)} ms</span> · ${traceLink}
    </p>
    ${
      log.calls.length > 0
        ? html`<p>Calls it made (same trace):</p>
            <ul>
              ${log.calls.map((call) => html`<li><code>${call.method} ${call.target}</code> → ${call.status} in ${call.ms.toFixed(1)} ms</li>`)}
            </ul>`
        : ''
    }
  </section>`;
}

export function page(title: string, status: number, context: PageContext, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · mesh</title>
        <style>
          ${styles}
        </style>
      </head>
      <body>
        <header>
          <a href="/"><strong>mesh documents</strong></a>
          ${
            context.email
              ? html`<a href="/settings">Settings</a>
                  <form method="post" action="/logout">
                    <input type="hidden" name="csrf_token" value="${context.csrfToken ?? ''}" /><span
                      >${context.email}</span
                    >
                    <button type="submit">Sign out</button>
                  </form>`
              : html`<a href="/login">Sign in</a> <a href="/registration">Register</a>`
          }
        </header>
        <main id="main">${body} ${requestPanel(context, status)}</main>
      </body>
    </html>`;
}
