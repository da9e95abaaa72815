// A fake Grafana HTTP API for tests (Grafana is not packaged in Debian), following Grafana's API
// reference for the two endpoints devops-ai calls:
// - POST /api/annotations {time, timeEnd?, tags[], text, dashboardUID?, panelId?} →
//   200 {"message":"Annotation added","id":N}; 400 {"message":...} without text;
// - GET /api/search?query=&type=dash-db&tag=&limit= → 200 [{id, uid, title, uri, url, slug,
//   type, tags, isStarred, folderUid, folderTitle}] (title matched case-insensitively);
// both with "Authorization: Bearer <service account token>" (401 {"message":"Invalid API key"}
// otherwise). Test control: `annotations` (what was posted), `requests`, `dashboards`.
import http from 'node:http';

export async function startFakeGrafana({ token, dashboards = [] }) {
  const state = { annotations: [], requests: [], dashboards, nextId: 1 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const url = new URL(req.url, 'http://grafana');
      state.requests.push({ method: req.method, path: url.pathname, query: url.search, authorization: req.headers.authorization });
      const send = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { message: 'Invalid API key' });
      if (url.pathname === '/api/annotations' && req.method === 'POST') {
        let a;
        try { a = JSON.parse(body); } catch { return send(400, { message: 'bad request data' }); }
        if (typeof a.text !== 'string' || a.text === '') return send(400, { message: 'Failed to save annotation: text is required' });
        const id = state.nextId++;
        state.annotations.push({ id, ...a });
        return send(200, { message: 'Annotation added', id });
      }
      if (url.pathname === '/api/search' && req.method === 'GET') {
        const q = (url.searchParams.get('query') || '').toLowerCase();
        const hits = state.dashboards
          .filter((d) => d.title.toLowerCase().includes(q))
          .map((d, i) => ({ id: i + 1, uid: d.uid, title: d.title, uri: `db/${d.uid}`, url: `/d/${d.uid}/${d.uid}`,
            slug: d.uid, type: 'dash-db', tags: d.tags || [], isStarred: false, folderUid: '', folderTitle: 'General' }));
        return send(200, hits);
      }
      return send(404, { message: 'Not found' });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, state, close: () => new Promise((r) => server.close(r)) };
}
