import { Html, html } from '@mesh/html';

const styles = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #fff; }
body { margin: 0; }
header.top { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1rem; background: #1b1f24; color: #fff; }
header.top a { color: #fff; text-decoration: none; padding: .2rem .4rem; border-radius: 4px; }
header.top a[aria-current="page"] { background: #3d4651; }
header.top a:focus-visible, a:focus-visible, button:focus-visible, summary:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f0b429; outline-offset: 1px; }
main { padding: 1rem; max-width: 1400px; }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .5rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; gap: .2rem; }
input, select, button { font: inherit; padding: .3rem .4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e1e4e8; vertical-align: top; }
th { font-size: .85rem; color: #57606a; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 9px; font-size: .8rem; color: #fff; margin: 0 .15rem .15rem 0; }
.error { color: #b42318; font-weight: 600; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; vertical-align: middle; margin-right: .3rem; }
.mono { font-family: ui-monospace, monospace; font-size: .85rem; }
.waterfall { list-style: none; margin: 0; padding: 0; }
.waterfall ul { list-style: none; margin: 0; padding: 0; }
.row { display: grid; grid-template-columns: minmax(18rem, 34%) 6rem 1fr; align-items: center; gap: .5rem; padding: .1rem 0; border-bottom: 1px solid #f0f2f4; }
li.span { position: relative; }
summary.toggle { position: absolute; top: .15rem; width: 1rem; height: 1rem; cursor: pointer; list-style: none; color: #57606a; z-index: 1; }
summary.toggle::-webkit-details-marker { display: none; }
.name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
details:not([open]) > summary.toggle::before { content: "▸"; }
details[open] > summary.toggle::before { content: "▾"; }
.track { position: relative; height: 1rem; background: #f6f8fa; }
.bar { position: absolute; top: 0; bottom: 0; min-width: 2px; border-radius: 2px; }
.bar.failed { outline: 2px solid #b42318; }
.ruler { display: grid; grid-template-columns: minmax(18rem, 34%) 6rem 1fr; gap: .5rem; font-size: .75rem; color: #57606a; }
.ticks { display: flex; justify-content: space-between; }
.detail { margin: .3rem 0 .8rem 1rem; padding: .6rem .8rem; border-left: 4px solid #57606a; background: #f6f8fa; }
.detail dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .3rem 0; }
.detail dt { color: #57606a; }
.detail dd { margin: 0; word-break: break-all; }
.detail h3 { font-size: .95rem; margin: .6rem 0 .2rem; }
.summary-line { display: flex; flex-wrap: wrap; gap: 1.2rem; margin-bottom: .8rem; }
svg text { font: 12px system-ui, sans-serif; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/** A constant of this file, not data: inserted as is. */
const trustedStyles = new Html(styles);

export type Section = 'search' | 'dependencies' | 'trace';

/** The page shell: a skip link, the navigation (Jaeger's sections) and the main landmark. */
export function page(title: string, section: Section, body: Html, script?: Html): Html {
  const link = (href: string, label: string, own: Section) =>
    html`<a href="${href}" ${section === own ? html`aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · mesh trace explorer</title>
        <style>
          ${trustedStyles}
        </style>
      </head>
      <body>
        <a class="visually-hidden" href="#main">Skip to content</a>
        <header class="top">
          <strong>mesh trace explorer</strong>
          <nav aria-label="Sections">
            ${link('/search', 'Search', 'search')} ${link('/dependencies', 'Services', 'dependencies')}
          </nav>
        </header>
        <main id="main">${body}</main>
        ${script ?? ''}
      </body>
    </html> `;
}
