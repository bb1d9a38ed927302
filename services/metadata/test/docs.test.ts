// Repository documents and documentation pages: versions with author and time, server-side
// sanitizing against XSS payloads, the shipped user guide, edit conflicts and size limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetadata, type TestMetadata } from './helpers.ts';

const alice = { id: 'id-alice', username: 'alice' };
const bob = { id: 'id-bob', username: 'bob' };
const root = { id: 'id-root', username: 'root', admin: true };
const DOCS = `/api/repositories/${encodeURIComponent('alice/app')}/docs`;

const XSS: { name: string; markdown: string; mustNotContain: RegExp[] }[] = [
  { name: 'script tag', markdown: 'hi <script>alert(1)</script>', mustNotContain: [/<script/i, /alert\(1\)/] },
  { name: 'img onerror', markdown: '<img src="x" onerror="alert(1)">', mustNotContain: [/onerror/i] },
  { name: 'javascript: link in Markdown', markdown: '[click](javascript:alert(1))', mustNotContain: [/javascript:/i] },
  { name: 'javascript: link in HTML with entities', markdown: '<a href="jav&#x09;ascript:alert(1)">x</a>', mustNotContain: [/javascript/i, /href="jav/i] },
  { name: 'data: URL image', markdown: '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)', mustNotContain: [/data:/i] },
  { name: 'svg onload', markdown: '<svg onload="alert(1)"><circle/></svg>', mustNotContain: [/<svg/i, /onload/i] },
  { name: 'iframe', markdown: '<iframe src="https://evil.example"></iframe>', mustNotContain: [/<iframe/i] },
  { name: 'style attribute and tag', markdown: '<p style="background:url(javascript:alert(1))">x</p><style>*{}</style>', mustNotContain: [/style/i, /javascript/i] },
  { name: 'event handler on allowed tag', markdown: '<a href="https://ok.example" onclick="alert(1)" onmouseover="alert(2)">ok</a>', mustNotContain: [/onclick/i, /onmouseover/i] },
  { name: 'form controls', markdown: '<form action="https://evil.example"><input type="text" name="q"><button>go</button></form>', mustNotContain: [/<form/i, /type="text"/i, /<button/i] },
  { name: 'object and embed', markdown: '<object data="x.swf"></object><embed src="x.swf">', mustNotContain: [/<object/i, /<embed/i] },
  { name: 'protocol-relative link', markdown: '<a href="//evil.example/x">x</a>', mustNotContain: [/href="\/\/evil/i] },
  { name: 'meta refresh', markdown: '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', mustNotContain: [/<meta/i, /javascript/i] },
];

describe('repository documentation', () => {
  let t: TestMetadata;
  let a: { authorization: string };
  let b: { authorization: string };

  beforeAll(async () => {
    t = await startMetadata();
    a = await t.as(alice);
    b = await t.as(bob);
    const res = await t.app.inject({ method: 'POST', url: '/api/repositories', headers: a, payload: { name: 'alice/app', visibility: 'public' } });
    expect(res.statusCode).toBe(201);
  });
  afterAll(async () => t?.close());

  it('starts empty, then keeps every edit as a version with its author', async () => {
    expect((await t.app.inject({ method: 'GET', url: DOCS })).json()).toMatchObject({ version: 0, markdown: '', html: '' });
    const first = await t.app.inject({ method: 'PUT', url: DOCS, headers: a, payload: { markdown: '# App\n\nRun **it**.' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ version: 1, author: 'alice', html: '<h1>App</h1>\n<p>Run <strong>it</strong>.</p>\n' });
    const second = await t.app.inject({ method: 'PUT', url: DOCS, headers: a, payload: { markdown: '# App v2', baseVersion: 1 } });
    expect(second.json().version).toBe(2);
    const versions = await t.app.inject({ method: 'GET', url: `${DOCS}/versions?limit=1` });
    expect(versions.json().items).toEqual([expect.objectContaining({ version: 2, author: 'alice' })]);
    const next = await t.app.inject({ method: 'GET', url: `${DOCS}/versions?limit=1&cursor=${versions.json().nextCursor}` });
    expect(next.json().items.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(next.json().nextCursor).toBeUndefined();
    const old = await t.app.inject({ method: 'GET', url: `${DOCS}/versions/1` });
    expect(old.json().markdown).toBe('# App\n\nRun **it**.');
  });

  it('refuses a stale edit (baseVersion) and changes nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: DOCS })).json();
    const res = await t.app.inject({ method: 'PUT', url: DOCS, headers: a, payload: { markdown: 'lost', baseVersion: 1 } });
    expect(res.statusCode).toBe(409);
    expect((await t.app.inject({ method: 'GET', url: DOCS })).json()).toEqual(before);
  });

  it('lets only writers edit: read access is a 403, anonymous a 401', async () => {
    expect((await t.app.inject({ method: 'PUT', url: DOCS, headers: b, payload: { markdown: 'x' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PUT', url: DOCS, payload: { markdown: 'x' } })).statusCode).toBe(401);
  });

  it('rejects a document over METADATA_MAX_DOC_BYTES and a body that is not a document', async () => {
    const big = await t.app.inject({ method: 'PUT', url: DOCS, headers: a, payload: { markdown: 'x'.repeat(t.config.metadata.maxDocBytes + 1) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const bad = await t.app.inject({ method: 'PUT', url: DOCS, headers: a, payload: { markdown: 42 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it.each(XSS)('sanitizes $name', async ({ markdown, mustNotContain }) => {
    const res = await t.app.inject({ method: 'PUT', url: DOCS, headers: a, payload: { markdown } });
    expect(res.statusCode).toBe(200);
    const stored = (await t.app.inject({ method: 'GET', url: DOCS })).json();
    // The author's Markdown is kept as written; only the HTML the console shows is cleaned.
    expect(stored.markdown).toBe(markdown);
    for (const pattern of mustNotContain) expect(stored.html).not.toMatch(pattern);
  });

  it('previews Markdown as the sanitized HTML a save would store, for signed-in users, saving nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: DOCS })).json();
    for (const { markdown, mustNotContain } of XSS) {
      const res = await t.app.inject({ method: 'POST', url: '/api/docs/preview', headers: a, payload: { markdown } });
      expect(res.statusCode).toBe(200);
      for (const pattern of mustNotContain) expect(res.json().html).not.toMatch(pattern);
    }
    expect((await t.app.inject({ method: 'POST', url: '/api/docs/preview', headers: a, payload: { markdown: '# Hi' } })).json().html).toBe('<h1>Hi</h1>\n');
    expect((await t.app.inject({ method: 'POST', url: '/api/docs/preview', payload: { markdown: '# Hi' } })).statusCode).toBe(401);
    const big = await t.app.inject({ method: 'POST', url: '/api/docs/preview', headers: a, payload: { markdown: 'x'.repeat(t.config.metadata.maxDocBytes + 1) } });
    expect(big.statusCode).toBe(413);
    expect((await t.app.inject({ method: 'GET', url: DOCS })).json()).toEqual(before);
  });

  it('keeps safe formatting: links get rel=nofollow, code keeps its language class, task lists stay inert', async () => {
    const md = '[docs](https://example.com/docs)\n\n```sh\ndocker pull x\n```\n\n- [x] done\n';
    const html = (await t.app.inject({ method: 'PUT', url: DOCS, headers: a, payload: { markdown: md } })).json().html as string;
    expect(html).toContain('<a href="https://example.com/docs" rel="nofollow noopener noreferrer" target="_blank">docs</a>');
    expect(html).toContain('<code class="language-sh">docker pull x');
    const input = /<input[^>]*>/.exec(html)?.[0] ?? '';
    expect(input).toContain('type="checkbox"');
    expect(input).toMatch(/\bdisabled\b/);
  });
});

describe('documentation pages', () => {
  let t: TestMetadata;
  let admin: { authorization: string };
  let user: { authorization: string };
  beforeAll(async () => {
    t = await startMetadata();
    admin = await t.as(root);
    user = await t.as(alice);
  });
  afterAll(async () => t?.close());

  it('ships the user guide as the first pages', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/pages' });
    expect(res.json().items.map((p: { slug: string }) => p.slug)).toEqual(['push-and-pull', 'managing-repositories', 'organizations-and-teams', 'web-console']);
    const page = (await t.app.inject({ method: 'GET', url: '/api/pages/push-and-pull' })).json();
    expect(page).toMatchObject({ title: 'Push and pull images', version: 1, author: 'DockSphere' });
    expect(page.html).toContain('<code class="language-sh">docker login');
  });

  it('lets site admins create, edit (versioned) and delete pages, sanitized', async () => {
    expect((await t.app.inject({ method: 'PUT', url: '/api/pages/faq', headers: user, payload: { title: 'FAQ', markdown: 'x' } })).statusCode).toBe(403);
    const created = await t.app.inject({ method: 'PUT', url: '/api/pages/faq', headers: admin, payload: { title: 'FAQ', markdown: 'Q <script>alert(1)</script>', position: 10 } });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ slug: 'faq', version: 1, author: 'root' });
    expect(created.json().html).not.toContain('script');
    const edited = await t.app.inject({ method: 'PUT', url: '/api/pages/faq', headers: admin, payload: { title: 'FAQ 2', markdown: 'A', baseVersion: 1 } });
    expect(edited.json()).toMatchObject({ version: 2, title: 'FAQ 2' });
    expect((await t.app.inject({ method: 'PUT', url: '/api/pages/faq', headers: admin, payload: { title: 'x', markdown: 'y', baseVersion: 1 } })).statusCode).toBe(409);
    const versions = (await t.app.inject({ method: 'GET', url: '/api/pages/faq/versions' })).json();
    expect(versions.items.map((v: { version: number; title: string }) => [v.version, v.title])).toEqual([[2, 'FAQ 2'], [1, 'FAQ']]);
    expect((await t.app.inject({ method: 'GET', url: '/api/pages/faq/versions/1' })).json().title).toBe('FAQ');
    expect((await t.app.inject({ method: 'PUT', url: '/api/pages/Not_A_Slug', headers: admin, payload: { title: 'x', markdown: 'y' } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/pages/faq', headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/pages/faq' })).statusCode).toBe(404);
  });
});
