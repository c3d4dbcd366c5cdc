// Page parsing on snippets saved from a real Moodle 4.5.6 (test/unit/load/fixtures/).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  attributes,
  decodeEntities,
  findForm,
  formErrors,
  isLoggedIn,
  isLoginPage,
  isLoginUrl,
  loginToken,
  moodleError,
  postIdFromUrl,
  sesskey,
  setField,
} from '../../../src/ops/load/moodle-pages.ts';
import { fixtureHtml } from './fake-site.ts';

const login = fixtureHtml('login.html');
const dashboard = fixtureHtml('dashboard.html');
const replyForm = fixtureHtml('reply-form.html');
const errorPage = fixtureHtml('error-page.html');

describe('login page', () => {
  test('the logintoken of the login form', () => {
    assert.match(loginToken(login)!, /^[A-Za-z0-9]{32}$/);
    assert.equal(loginToken(dashboard), undefined);
  });
  test('is recognised as the login page, and not as logged in', () => {
    assert.equal(isLoginPage(login), true);
    assert.equal(isLoggedIn(login), false);
    assert.equal(isLoginPage(dashboard), false);
    assert.equal(isLoginPage(replyForm), false);
  });
  test('login URLs, with or without a query', () => {
    assert.equal(isLoginUrl('http://localhost:8080/login/index.php'), true);
    assert.equal(isLoginUrl('http://localhost:8080/login/index.php?testsession=3'), true);
    assert.equal(isLoginUrl('http://localhost:8080/my/'), false);
    assert.equal(isLoginUrl('http://localhost:8080/login/index.php.bak'), false);
    assert.equal(isLoginUrl(undefined), false);
  });
});

describe('logged-in pages', () => {
  test('the logout link marks a logged-in page; the sesskey comes from M.cfg', () => {
    assert.equal(isLoggedIn(dashboard), true);
    assert.equal(isLoggedIn(replyForm), true);
    const key = sesskey(dashboard)!;
    assert.match(key, /^[A-Za-z0-9]{10}$/);
    assert.ok(dashboard.includes(`logout.php?sesskey=${key}`));
  });
  test('the form sesskey is used when there is no M.cfg', () => {
    assert.equal(sesskey('<form><input type="hidden" name="sesskey" value="abc123XYZ0"></form>'), 'abc123XYZ0');
  });
});

describe('error pages', () => {
  test("core_renderer::fatal_error's box gives its message", () => {
    assert.equal(moodleError(errorPage), 'No valid arguments supplied or incorrect server configuration');
  });
  test("bootstrap_renderer's early error is an error page too", () => {
    assert.equal(moodleError("<html><body><div class='alert-danger'>Error reading from database</div></body></html>"), 'Error reading from database');
  });
  test('normal pages are not error pages', () => {
    for (const page of [login, dashboard, replyForm]) assert.equal(moodleError(page), undefined);
  });
});

describe('the forum reply form (mod/forum/post.php?reply=N)', () => {
  const form = findForm(replyForm, 'mformforum')!;
  test('is found with its action and method', () => {
    assert.ok(form);
    assert.equal(form.action, 'post.php');
    assert.equal(form.method, 'post');
    assert.equal(findForm(replyForm, 'nosuchform'), undefined);
  });
  test("has the moodleform's fields as a browser submits them", () => {
    const names = form.fields.map(([n]) => n);
    for (const n of [
      'sesskey',
      '_qf__mod_forum_post_form',
      'course',
      'forum',
      'discussion',
      'parent',
      'reply',
      'edit',
      'subject',
      'message[text]',
      'message[format]',
      'message[itemid]',
      'attachments',
    ]) {
      assert.ok(names.includes(n), `field ${n} missing from ${names.join(', ')}`);
    }
    const get = (n: string) => form.fields.find(([k]) => k === n)?.[1];
    assert.equal(get('sesskey'), sesskey(replyForm));
    assert.equal(get('_qf__mod_forum_post_form'), '1');
    assert.equal(get('reply'), get('parent'));
    assert.match(get('subject')!, /^Re: /);
    assert.equal(get('message[format]'), '1');
  });
  test('buttons are kept apart: the caller clicks one', () => {
    assert.deepEqual(
      form.buttons.map(([n]) => n),
      ['submitbutton', 'cancel'],
    );
    assert.ok(!form.fields.some(([n]) => n === 'cancel' || n === 'submitbutton'));
  });
  test('setField replaces a value in place, or appends it', () => {
    const f = setField(setField(form.fields, 'message[text]', '<p>hi</p>'), 'extra', 'x');
    assert.equal(f.filter(([n]) => n === 'message[text]').length, 1);
    assert.equal(f.find(([n]) => n === 'message[text]')![1], '<p>hi</p>');
    assert.deepEqual(f.at(-1), ['extra', 'x']);
    assert.equal(f.length, form.fields.length + 1);
  });
});

describe('form parsing details', () => {
  const html = `<form id="f" action="x.php?a=1&amp;b=2" method="POST">
    <input type="text" name="t" value="a &quot;b&quot; &#39;c&#39; &lt;d&gt;">
    <input type="checkbox" name="c1" value="1" checked>
    <input type="checkbox" name="c2" value="1">
    <input type="radio" name="r" value="a"><input type="radio" name="r" value="b" checked="checked">
    <input type="file" name="upload"><input type="button" name="b" value="x"><input type="text" name="off" disabled value="z">
    <textarea name="ta">
line &amp; more</textarea>
    <select name="s"><option value="1">one</option><option value="2" selected>two</option></select>
    <select name="s2"><option value="a">A</option><option value="b">B</option></select>
    <select name="m[]" multiple><option value="x" selected>X</option><option value="y" selected>Y</option></select>
    <button type="submit" name="go" value="yes">Go</button>
  </form>`;
  test('controls are read like a browser would submit them', () => {
    const f = findForm(html, 'f')!;
    assert.equal(f.action, 'x.php?a=1&b=2');
    assert.equal(f.method, 'post');
    assert.deepEqual(f.fields, [
      ['t', 'a "b" \'c\' <d>'],
      ['c1', '1'],
      ['r', 'b'],
      ['ta', 'line & more'],
      ['s', '2'],
      ['s2', 'a'],
      ['m[]', 'x'],
      ['m[]', 'y'],
    ]);
    assert.deepEqual(f.buttons, [['go', 'yes']]);
  });
  test('attributes and entities', () => {
    assert.deepEqual(attributes(`<input type=hidden name='a' value="b&amp;c" checked>`), { type: 'hidden', name: 'a', value: 'b&c', checked: '' });
    assert.equal(decodeEntities('&#x41;&#66;&nbsp;&unknown;'), 'AB\u00a0&unknown;');
  });
  test("a rejected moodleform's field errors", () => {
    assert.deepEqual(formErrors('<div class="form-control-feedback invalid-feedback" id="id_error_message" >Required</div>'), ['Required']);
    assert.deepEqual(formErrors(replyForm), []);
  });
});

describe('acknowledged posts', () => {
  test('the post id is the anchor of the discussion URL post.php redirects to', () => {
    assert.equal(postIdFromUrl('http://localhost:8080/mod/forum/discuss.php?d=11#p123'), 123);
    assert.equal(postIdFromUrl('http://localhost:8080/mod/forum/discuss.php?d=11'), undefined);
    assert.equal(postIdFromUrl('http://localhost:8080/mod/forum/view.php?f=2'), undefined);
    assert.equal(postIdFromUrl(undefined), undefined);
  });
});
