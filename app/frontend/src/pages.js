// The one HTML page. Everything from the backend or the user is escaped; the page has no scripts
// and no inline styles, so the Content-Security-Policy can forbid both.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

export function notesPage({ notes = [], error = '' } = {}) {
  const items = notes
    .map((note) => `<li><time datetime="${escapeHtml(note.created_at)}">${escapeHtml(note.created_at)}</time> ${escapeHtml(note.text)}</li>`)
    .join('\n      ');
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Notes</title></head>
  <body>
    <h1>Notes</h1>
    ${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
    <form method="post" action="/notes">
      <label>New note <input name="text" maxlength="500" required></label>
      <button type="submit">Add</button>
    </form>
    <ul>
      ${items}
    </ul>
  </body>
</html>
`;
}
