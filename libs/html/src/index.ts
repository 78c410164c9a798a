export { Html, html, escapeHtml } from './html';
