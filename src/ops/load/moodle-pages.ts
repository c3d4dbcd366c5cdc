// Reading Moodle 4.5 pages without a DOM: the login form's logintoken, the sesskey, a form's
// fields (as a browser would submit them), and what kind of page came back: a logged-in page, the
// login page (a lost session when a logged-in page was expected) or an error page.
// Patterns come from Moodle's own renderers: core_renderer::fatal_error() wraps the message in
// <div data-rel="fatalerror" class="... errorbox ...">, bootstrap_renderer::early_error_content()
// in <div class='alert-danger'>; login/index.php has <body id="page-login-index"> and a hidden
// "logintoken"; every logged-in page has the user menu's login/logout.php?sesskey= link.

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+[0-9]*);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Attributes of one start tag, names lower-cased, values decoded; valueless attributes are "". */
export function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inner = tag.replace(/^<\s*[a-z0-9-]+/i, '').replace(/\/?>$/, '');
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  for (let m = re.exec(inner); m; m = re.exec(inner)) {
    out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** The value of the hidden "logintoken" field of the login form. */
export function loginToken(html: string): string | undefined {
  return inputValue(html, 'logintoken');
}

/** The session key: M.cfg's "sesskey" (every full page), or a form's hidden "sesskey" field. */
export function sesskey(html: string): string | undefined {
  return /"sesskey":"([^"]+)"/.exec(html)?.[1] ?? inputValue(html, 'sesskey');
}

function inputValue(html: string, name: string): string | undefined {
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const a = attributes(m[0]);
    if (a.name === name) return a.value;
  }
  return undefined;
}

export function isLoginPage(html: string): boolean {
  return /<body[^>]*\bid="page-login-index"/i.test(html) || /<input\b[^>]*\bname="logintoken"/i.test(html);
}

export function isLoggedIn(html: string): boolean {
  return /login\/logout\.php\?sesskey=/.test(html);
}

/** True for a redirect or URL to the login page (where require_login() sends a lost session). */
export function isLoginUrl(url: string | undefined): boolean {
  return url !== undefined && /\/login\/index\.php(?:[?#]|$)/.test(url);
}

/** The message of a Moodle error page, or undefined when the page is not one. */
/**
 * Moodle's maintenance page: a 503 with Retry-After and the text of climaintenance.html, which
 * every node answers while an upgrade's migrate runs (src/local/maintenance.ts). A 503 without
 * them (the load balancer's "no server available", a PHP error) is not it.
 */
export function isMaintenancePage(a: { readonly status: number; readonly retryAfter?: string; readonly body: string }): boolean {
  return a.status === 503 && a.retryAfter !== undefined && /undergoing maintenance/i.test(a.body);
}

export function moodleError(html: string): string | undefined {
  const fatal = /<div\b[^>]*data-rel="fatalerror"[^>]*>([\s\S]*?)<\/div>/i.exec(html);
  if (fatal) {
    const msg = /<p class="errormessage">([\s\S]*?)<\/p>/i.exec(fatal[1]!)?.[1] ?? fatal[1]!;
    return text(msg) || 'error page';
  }
  const early = /<div class=['"]alert-danger['"]>([\s\S]*?)<\/div>/i.exec(html);
  if (early) return text(early[1]!) || 'error page';
  return undefined;
}

/** Visible text of an HTML fragment, whitespace collapsed. */
export function text(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

export interface ParsedForm {
  readonly action: string;
  readonly method: string;
  /** Successful controls in document order, as a browser submits them (no buttons). */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** Submit buttons: name → value; the caller adds the one it "clicks". */
  readonly buttons: ReadonlyArray<readonly [string, string]>;
}

/** The form with this id attribute (e.g. "mformforum"), or undefined when the page has none. */
export function findForm(html: string, id: string): ParsedForm | undefined {
  for (const m of html.matchAll(/<form\b[^>]*>/gi)) {
    const a = attributes(m[0]);
    if (a.id !== id) continue;
    const start = m.index! + m[0].length;
    const end = html.indexOf('</form>', start);
    return parseFormBody(a, html.slice(start, end < 0 ? undefined : end));
  }
  return undefined;
}

function parseFormBody(formAttrs: Record<string, string>, body: string): ParsedForm {
  const fields: Array<[string, string]> = [];
  const buttons: Array<[string, string]> = [];
  const controls = /<input\b[^>]*>|<textarea\b[^>]*>([\s\S]*?)<\/textarea>|<select\b[^>]*>([\s\S]*?)<\/select>|<button\b[^>]*>/gi;
  for (const m of body.matchAll(controls)) {
    const tag = /^<[^>]*>/.exec(m[0])![0];
    const a = attributes(tag);
    const name = a.name;
    if (!name || 'disabled' in a) continue;
    const kind = tag.slice(1, 7).toLowerCase();
    if (kind.startsWith('input')) {
      const type = (a.type ?? 'text').toLowerCase();
      if (type === 'submit' || type === 'image') buttons.push([name, a.value ?? '']);
      else if (type === 'checkbox' || type === 'radio') {
        if ('checked' in a) fields.push([name, a.value ?? 'on']);
      } else if (type !== 'button' && type !== 'reset' && type !== 'file') fields.push([name, a.value ?? '']);
    } else if (kind === 'textar') {
      fields.push([name, decodeEntities((m[1] ?? '').replace(/^\r?\n/, ''))]);
    } else if (kind === 'select') {
      const options = [...(m[2] ?? '').matchAll(/<option\b[^>]*>([\s\S]*?)(?=<option\b|<\/option>|$)/gi)].map((o) => {
        const oa = attributes(/^<[^>]*>/.exec(o[0])![0]);
        return { value: oa.value ?? text(o[1] ?? ''), selected: 'selected' in oa };
      });
      const chosen = options.filter((o) => o.selected);
      if ('multiple' in a) for (const o of chosen) fields.push([name, o.value]);
      else if (chosen.length || options.length) fields.push([name, (chosen.at(-1) ?? options[0]!).value]);
    } else if (kind.startsWith('button')) {
      const type = (a.type ?? 'submit').toLowerCase();
      if (type === 'submit') buttons.push([name, a.value ?? '']);
    }
  }
  return { action: formAttrs.action ?? '', method: (formAttrs.method ?? 'get').toLowerCase(), fields, buttons };
}

/** Replaces (or adds) a field's value; returns a new list. */
export function setField(fields: ReadonlyArray<readonly [string, string]>, name: string, value: string): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  let done = false;
  for (const f of fields) {
    if (f[0] !== name) out.push(f);
    else if (!done) {
      out.push([name, value]);
      done = true;
    }
  }
  if (!done) out.push([name, value]);
  return out;
}

/** Field-level errors a moodleform shows when it rejects a submission. */
export function formErrors(html: string): string[] {
  return [...html.matchAll(/<div\b[^>]*class="[^"]*invalid-feedback[^"]*"[^>]*>([\s\S]*?)<\/div>/gi)].map((m) => text(m[1]!)).filter(Boolean);
}

/** The post id in the URL mod/forum/post.php redirects to after a reply (discuss.php?d=D#pID). */
export function postIdFromUrl(url: string | undefined): number | undefined {
  const m = url ? /#p(\d+)$/.exec(url) : null;
  return m ? Number(m[1]) : undefined;
}
