// What a university's Moodle does on day one, on the dev cluster dev.test.ts brought up (runs
// first: the admin's first login is tested): the admin's first page after install is the dashboard; a teacher's forum
// post reaches a subscribed student's inbox in the mail catcher once the cluster's cron has run,
// and its link opens the post; a password reset asked for on the login page arrives and its link
// sets a new password; Ghostscript answers Moodle's own test page; and a PDF a student submits is
// made into pages for annotation by the cluster's cron.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { docker } from '../../../src/local/engine/docker.ts';
import { exec } from '../../../src/local/containers.ts';
import { cli } from '../../support/cli.ts';
import { putFiles } from '../../support/containers.ts';
import { MoodleClient } from '../../support/moodle-client.ts';
import { pdfOfPages } from '../../support/pdf.ts';
import { adminPassword as readAdminPassword, base, MAIL, n, specFile } from './cluster.ts';

const WEB = n.container('web', 1);
/** What the no-reply address is derived as: the site's host ("localhost") made a valid, undeliverable domain. */
const NOREPLY = 'noreply@localhost.invalid';
const users = {
  tina: { username: 'mh_tina', password: 'Tina-pw-2026!', email: 'tina@example.edu', role: 'editingteacher' },
  bob: { username: 'mh_bob', password: 'Bob-pw-2026!', email: 'bob@example.edu', role: 'student' },
} as const;

interface Mail {
  id: string;
  subject: string;
  text: string;
  html: string;
  from: Array<{ address: string; name: string }>;
  to: Array<{ address: string }>;
}

/** The mail catcher's REST API, on the port the spec publishes on 127.0.0.1. */
async function inbox(): Promise<Mail[]> {
  const r = await fetch(`http://127.0.0.1:${MAIL}/email`, { signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 200);
  return (await r.json()) as Mail[];
}

/** Waits for a message to `to` whose subject matches; returns it and how long it took. */
async function waitForMail(to: string, subject: RegExp, timeoutMs: number): Promise<{ mail: Mail; ms: number }> {
  const t0 = Date.now();
  let seen: string[] = [];
  while (Date.now() - t0 < timeoutMs) {
    const all = await inbox();
    seen = all.map((m) => `${m.to.map((t) => t.address).join(',')}: ${m.subject}`);
    const mail = all.find((m) => m.to.some((t) => t.address === to) && subject.test(m.subject));
    if (mail) return { mail, ms: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 2000));
  }
  assert.fail(`no mail to ${to} matching ${subject} in ${timeoutMs / 1000} s; the catcher has: ${seen.join(' | ') || 'nothing'}`);
}

/** Runs PHP with Moodle's config in the web node; returns what it printed between the markers, as JSON. */
async function php<T>(code: string): Promise<T> {
  const r = await exec(WEB, ['php', '-r', `define('CLI_SCRIPT', true); require '/var/www/moodle/config.php'; ${code}`]);
  const m = /@@J@@([\s\S]*)@@E@@/.exec(r.output);
  assert.ok(r.code === 0 && m, `PHP failed (exit ${r.code}): ${r.output.slice(-2000)}`);
  return JSON.parse(m[1]!) as T;
}

/** A form's hidden fields (what a browser sends back unchanged). */
function hiddenFields(page: string, action: RegExp): Record<string, string> {
  const form = [...page.matchAll(/<form[^>]*action="([^"]*)"[\s\S]*?<\/form>/g)].find((m) => action.test(m[1]!));
  assert.ok(form, `no form posting to ${action} on the page`);
  const fields: Record<string, string> = {};
  for (const [, attrs] of form[0].matchAll(/<input([^>]*)>/g)) {
    if (!/type="hidden"/.test(attrs!)) continue;
    const name = /name="([^"]+)"/.exec(attrs!)?.[1];
    if (name && !(name in fields)) fields[name] = decode(/value="([^"]*)"/.exec(attrs!)?.[1] ?? '');
  }
  return fields;
}

const decode = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
/** The first link in a message's text part that starts with the site's URL. */
function siteLink(mail: Mail, path: RegExp): string {
  const links = [...`${mail.text}\n${mail.html}`.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => decode(m[0]));
  const link = links.find((l) => l.startsWith(`${base}/`) && path.test(l));
  assert.ok(link, `no link to ${path} on ${base} in the mail; links: ${links.join(' ')}`);
  return link;
}

/** Mail, PDF annotation and the settings after install, registered in the caller's describe (dev.test.ts). */
export function mailSuite(): void {
  let adminPassword = '';
  let site = { forum: 0, assignCm: 0, assign: 0, bob: 0 };

  before(() => {
    adminPassword = readAdminPassword();
  });

  test('after up, the admin\'s first page after logging in is the dashboard, not "New settings"', async () => {
    const admin = new MoodleClient(base);
    const form = await admin.get('/login/index.php');
    const logintoken = /name="logintoken" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    let r = await admin.post('/login/index.php', { username: 'admin', password: adminPassword, logintoken, anchor: '' });
    const visited: string[] = [];
    for (let i = 0; i < 6 && r.location; i++) {
      visited.push(r.location);
      r = await admin.get(r.location.replace(base, ''));
    }
    assert.equal(r.status, 200);
    assert.ok(
      visited.every((u) => !u.includes('upgradesettings.php') && !u.includes('/admin/index.php')),
      `the login went through ${visited.join(' → ')}`,
    );
    assert.match(r.body, /id="page-my-index"/, `the first page is the dashboard (went through ${visited.join(' → ')})`);
    // And the page itself has nothing left to ask: Moodle's own list of settings without a value is empty.
    const upgrade = await admin.get('/admin/upgradesettings.php');
    assert.equal(upgrade.status, 303, `admin/upgradesettings.php has settings to ask for (HTTP ${upgrade.status})`);
    const cfg = await php<Record<string, string>>(
      `echo '@@J@@', json_encode(['timezone' => $CFG->timezone, 'country' => $CFG->country, 'supportemail' => $CFG->supportemail, 'noreplyaddress' => $CFG->noreplyaddress, 'lang' => $CFG->lang, 'pathtogs' => $CFG->pathtogs, 'pathtopdftoppm' => $CFG->pathtopdftoppm, 'pathtodu' => $CFG->pathtodu, 'smtphosts' => $CFG->smtphosts]), '@@E@@';`,
    );
    assert.deepEqual(cfg, {
      timezone: 'Europe/London',
      country: 'GB',
      supportemail: 'help@example.edu',
      noreplyaddress: NOREPLY,
      lang: 'en',
      pathtogs: '/usr/bin/gs',
      pathtopdftoppm: '/usr/bin/pdftoppm',
      pathtodu: '/usr/bin/du',
      smtphosts: `${n.container('mail')}:1025`,
    });
  });

  test('status names the mail catcher, and its page answers on 127.0.0.1 only', async () => {
    const s = await cli(['status', '--spec', specFile]);
    assert.match(s.stdout, new RegExp(`mail catcher: http://127\\.0\\.0\\.1:${MAIL}/\\n`));
    assert.match(s.stdout, new RegExp(`${n.container('mail')} +running +healthy`));
    const page = await fetch(`http://127.0.0.1:${MAIL}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /MailDev/i);
    const bindings = (await docker().getContainer(n.container('mail')).inspect()).HostConfig.PortBindings ?? {};
    assert.deepEqual(
      Object.values(bindings)
        .flat()
        .map((b) => `${(b as { HostIp: string }).HostIp}:${(b as { HostPort: string }).HostPort}`),
      [`127.0.0.1:${MAIL}`],
    );
  });

  test('a course with a teacher and a student, a forum everyone is subscribed to, an assignment with Annotate PDF', async () => {
    const u = (k: keyof typeof users) =>
      `$gen->create_user(['username' => '${users[k].username}', 'password' => '${users[k].password}', 'email' => '${users[k].email}', 'firstname' => '${k}', 'lastname' => 'Mailtest'])`;
    site = await php<typeof site>(`
      require_once($CFG->libdir . '/testing/generator/lib.php');
      $gen = new testing_data_generator();
      $tina = ${u('tina')}; $bob = ${u('bob')};
      $course = $gen->create_course(['shortname' => 'EXAM101', 'fullname' => 'Exam practice']);
      $gen->enrol_user($tina->id, $course->id, 'editingteacher'); $gen->enrol_user($bob->id, $course->id, 'student');
      $forum = $gen->create_module('forum', ['course' => $course->id, 'name' => 'Exam news', 'forcesubscribe' => 1]);
      $assign = $gen->create_module('assign', ['course' => $course->id, 'name' => 'Essay', 'submissiondrafts' => 0,
        'assignsubmission_file_enabled' => 1, 'assignsubmission_file_maxfiles' => 1, 'assignsubmission_file_maxsizebytes' => 1048576,
        'assignsubmission_onlinetext_enabled' => 0, 'assignfeedback_editpdf_enabled' => 1, 'assignfeedback_comments_enabled' => 1]);
      echo '@@J@@', json_encode(['forum' => (int) $forum->id, 'assignCm' => (int) $assign->cmid, 'assign' => (int) $assign->id, 'bob' => (int) $bob->id]), '@@E@@';`);
    assert.ok(site.forum > 0 && site.assign > 0 && site.bob > 0, JSON.stringify(site));
  });

  test("a teacher's forum post reaches the subscribed student's inbox after cron runs; its link opens the post", async () => {
    const tina = new MoodleClient(base);
    assert.ok(MoodleClient.loggedIn(await tina.login(users.tina.username, users.tina.password)), 'the teacher logs in');
    const form = await tina.get(`/mod/forum/post.php?forum=${site.forum}`);
    const subject = `Room change for the exam ${Date.now()}`;
    const body = 'The exam moves to the Great Hall. Bring your student card.';
    const posted = await tina.post('/mod/forum/post.php', {
      ...hiddenFields(form.body, /(^|\/)post\.php$/),
      subject,
      'message[text]': `<p>${body}</p>`,
      mailnow: '1',
      discussionsubscribe: '1',
      submitbutton: 'Post to forum',
    });
    assert.equal(posted.status, 303, `posting answered HTTP ${posted.status}: ${posted.body.slice(0, 500)}`);
    // Nobody runs cron here: the cluster's own cron container sends it (the forum's task runs every minute).
    const { mail, ms } = await waitForMail(users.bob.email, new RegExp(subject), 300_000);
    console.log(`forum post → inbox: ${(ms / 1000).toFixed(0)} s (the cluster's cron)`);
    assert.match(mail.subject, /^EXAM101: /, `subject "${mail.subject}" names the course`);
    assert.equal(mail.from[0]?.address, NOREPLY, 'a user outside the mail domain is sent as from the no-reply address');
    assert.match(mail.text, /Great Hall/);
    const link = siteLink(mail, /\/mod\/forum\/discuss\.php\?d=\d+/);
    const bob = new MoodleClient(base);
    assert.ok(MoodleClient.loggedIn(await bob.login(users.bob.username, users.bob.password)), 'the student logs in');
    const opened = await bob.get(link.replace(base, ''));
    assert.equal(opened.status, 200);
    assert.ok(opened.body.includes(subject) && opened.body.includes('Great Hall'), 'the link opens the post');
  });

  test('a password reset asked for on the login page arrives; its link sets a new password that logs in', async () => {
    const anon = new MoodleClient(base);
    const page = await anon.get('/login/forgot_password.php');
    const asked = await anon.post('/login/forgot_password.php', {
      ...hiddenFields(page.body, /forgot_password\.php$/),
      username: users.bob.username,
      submitbuttonusername: 'Search',
    });
    assert.equal(asked.status, 200);
    assert.match(asked.body, /email should have been sent|If you supplied a correct username/i);
    const { mail } = await waitForMail(users.bob.email, /password reset/i, 60_000);
    const link = siteLink(mail, /\/login\/forgot_password\.php\?token=/);
    const reset = new MoodleClient(base);
    let form = await reset.get(link.replace(base, ''));
    for (let i = 0; i < 3 && form.location; i++) form = await reset.get(form.location.replace(base, ''));
    assert.equal(form.status, 200);
    const fields = hiddenFields(form.body, /set_password|forgot_password/);
    assert.ok(fields.token, 'the reset page carries the token');
    const newPassword = 'New-Bob-pw-2026!';
    const set = await reset.post('/login/forgot_password.php', { ...fields, password: newPassword, password2: newPassword, submitbutton: 'Save changes' });
    assert.ok([200, 303].includes(set.status), `setting the password answered HTTP ${set.status}`);
    const bob = new MoodleClient(base);
    assert.ok(MoodleClient.loggedIn(await bob.login(users.bob.username, newPassword)), 'the new password logs in');
    assert.ok(!MoodleClient.loggedIn(await new MoodleClient(base).login(users.bob.username, users.bob.password)), 'the old one no longer does');
  });

  test("Ghostscript passes Moodle's own test page, which shows the image it made", async () => {
    const admin = new MoodleClient(base);
    assert.ok(MoodleClient.loggedIn(await admin.login('admin', adminPassword)));
    // The page runs Ghostscript on Moodle's test PDF; the image it shows is what that made.
    const page = await admin.get('/mod/assign/feedback/editpdf/testgs.php');
    assert.equal(page.status, 200);
    assert.match(page.body, /The ghostscript path appears to be OK/);
    const src = /<img[^>]*src="([^"]*testgs\.php\?sendimage=1)"/.exec(page.body)?.[1];
    assert.ok(src, 'the page shows the test image');
    const r = await admin.get(decode(src).replace(base, ''));
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^image\/png/);
    assert.deepEqual([...r.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.ok(r.bytes.length > 1000, `the test image has ${r.bytes.length} bytes`);
  });

  test("a PDF a student submits is made into pages by the cluster's cron, and the teacher's annotation view loads them", async () => {
    const pages = ['Essay: page one', 'Essay: page two', 'Essay: page three'];
    await putFiles(docker().getContainer(WEB), '/tmp/mh-mail-test', [{ path: 'essay.pdf', content: pdfOfPages(pages), uid: 33 }]);
    await php(`
      require_once($CFG->dirroot . '/mod/assign/locallib.php');
      [$course, $cm] = get_course_and_cm_from_cmid(${site.assignCm}, 'assign');
      $assign = new assign(context_module::instance($cm->id), $cm, $course);
      \\core\\session\\manager::set_user(core_user::get_user(${site.bob}));
      $itemid = file_get_unused_draft_itemid();
      get_file_storage()->create_file_from_pathname(['contextid' => context_user::instance(${site.bob})->id, 'component' => 'user',
        'filearea' => 'draft', 'itemid' => $itemid, 'filepath' => '/', 'filename' => 'essay.pdf'], '/tmp/mh-mail-test/essay.pdf');
      $notices = [];
      if (!$assign->save_submission((object) ['userid' => ${site.bob}, 'files_filemanager' => $itemid], $notices)) throw new Exception(implode('; ', $notices));
      echo '@@J@@', json_encode($notices), '@@E@@';`);
    // The conversion is an ad hoc task: the cluster's cron container runs it.
    const t0 = Date.now();
    let made = 0;
    while (Date.now() - t0 < 300_000) {
      made = await php<number>(
        `echo '@@J@@', $DB->count_records_select('files', "component = 'assignfeedback_editpdf' AND filearea = 'pages' AND filename <> '.'"), '@@E@@';`,
      );
      if (made >= pages.length) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    console.log(`PDF submission → ${made} page images: ${((Date.now() - t0) / 1000).toFixed(0)} s (the cluster's cron)`);
    assert.equal(made, pages.length, 'one page image per page of the submission');
    // What the teacher's annotation view asks for: every page, each an image the browser can load.
    const tina = new MoodleClient(base);
    const dashboard = await tina.login(users.tina.username, users.tina.password);
    const sesskey = MoodleClient.sesskey(dashboard)!;
    const all = await tina.get(
      `/mod/assign/feedback/editpdf/ajax.php?action=pollconversions&sesskey=${sesskey}&userid=${site.bob}&attemptnumber=-1&assignmentid=${site.assign}&readonly=0`,
    );
    assert.equal(all.status, 200);
    const json = JSON.parse(all.body) as { status: number; pages: Array<{ url: string; width: number; height: number }>; pagecount: number };
    assert.equal(json.pagecount, pages.length, all.body.slice(0, 500));
    assert.equal(json.pages.length, pages.length);
    const image = await tina.get(json.pages[0]!.url.replace(base, ''));
    assert.equal(image.status, 200);
    assert.match(String(image.headers['content-type']), /^image\/png/);
    assert.ok(json.pages[0]!.height > json.pages[0]!.width, `an A4 page is taller than wide (${json.pages[0]!.width}×${json.pages[0]!.height})`);
  });

  test('a language whose pack cannot be had (no download.moodle.org here): migrate says so, the site stays in English, nothing else changes', async () => {
    const migrateEnv = ['MOODLE_SUPPORT_EMAIL=help@example.edu', 'MOODLE_TIMEZONE=Europe/London', 'MOODLE_COUNTRY=GB', 'MOODLE_LANG=de'];
    const r = await exec(n.container('cron'), ['env', ...migrateEnv, 'php', '/opt/moodle-ha/php/site-defaults.php']);
    assert.equal(r.code, 0, r.output);
    assert.match(
      r.output,
      /language pack 'de' is not installed and could not be downloaded: the site's language stays en\. Put the pack in moodledata\/lang\/de/,
    );
    assert.doesNotMatch(r.output, /site defaults: (timezone|country|supportemail) =/, 'the other defaults were already in place');
    const cfg = await php<Record<string, string>>(
      `echo '@@J@@', json_encode(['lang' => get_config('core', 'lang'), 'timezone' => get_config('core', 'timezone')]), '@@E@@';`,
    );
    assert.deepEqual(cfg, { lang: 'en', timezone: 'Europe/London' });
  });
}
