// What the WAF does with Moodle's traffic, in one typed table: which AWS managed rules Moodle trips
// in normal use, the Moodle scripts where they only count (and why that is safe), and where they
// keep blocking. waf-acl-rules.ts builds the web ACL from it; scripts/gen-docs.ts writes the table
// into docs/aws.md (a test checks they agree).
//
// Rule names and labels: AWS WAF developer guide, "Core rule set (CRS) managed rule group" and
// "SQL database managed rule group" (aws-managed-rule-groups-baseline / -use-case). Paths: Moodle
// 4.5 (each script below checks the session or a token, and the sesskey where it writes, before
// it reads the posted content).

/** AWS managed rule groups of the web ACL, in evaluation order, with their capacity (WCU) from AWS's docs. */
export const MANAGED_RULE_GROUP_WCU = {
  AWSManagedRulesCommonRuleSet: 700,
  AWSManagedRulesSQLiRuleSet: 200,
  AWSManagedRulesKnownBadInputsRuleSet: 200,
  AWSManagedRulesAmazonIpReputationList: 25,
} as const;
export type ManagedRuleGroup = keyof typeof MANAGED_RULE_GROUP_WCU;
export const MANAGED_RULE_GROUPS = Object.keys(MANAGED_RULE_GROUP_WCU) as ManagedRuleGroup[];

/** A URI path: exactly this script, or a script followed by its slash arguments. */
export type PathMatch = { readonly exact: string } | { readonly prefix: string };

export interface MoodleScope {
  /** Our label, added by a COUNT rule to every request in the scope. */
  readonly label: string;
  /** Name of that labelling rule. */
  readonly ruleName: string;
  /** Name of the rule that blocks, outside the scope, what the scope's counted rules matched. */
  readonly blockRuleName: string;
  readonly description: string;
  readonly paths: readonly { readonly path: PathMatch; readonly what: string }[];
}

const exact = (path: string, what: string) => ({ path: { exact: path }, what });
const prefix = (path: string, what: string) => ({ path: { prefix: path }, what });

export const SCOPES = {
  authoredContent: {
    label: 'moodle-ha:authored-content',
    ruleName: 'MoodleAuthoredContent',
    blockRuleName: 'BlockBodyRulesOutsideAuthoredContent',
    description: 'Moodle scripts that signed-in users (session + sesskey, or a web service token) post authored content to',
    paths: [
      exact('/lib/ajax/service.php', 'AJAX calls of the signed-in UI: inline forum replies, messages, TinyMCE autosave, block and modal forms, grading'),
      exact('/webservice/rest/server.php', 'Moodle app and integrations (token): quiz answers, forum posts, submissions'),
      exact('/webservice/upload.php', 'Moodle app file uploads (token)'),
      exact('/repository/repository_ajax.php', 'file picker and drag-and-drop uploads, "download from URL"'),
      exact('/repository/draftfiles_ajax.php', 'file manager actions on draft files'),
      exact('/course/dndupload.php', 'files dropped on a course page'),
      exact('/mod/quiz/processattempt.php', 'quiz answers, on each page submit'),
      exact('/mod/quiz/autosave.ajax.php', 'quiz answers, autosaved every minute'),
      exact('/mod/quiz/comment.php', 'manual grading comments'),
      exact('/mod/quiz/report.php', 'manual grading report comments'),
      exact('/mod/forum/post.php', 'forum posts'),
      exact('/mod/assign/view.php', 'online text submissions and feedback'),
      exact('/mod/lesson/continue.php', 'lesson essay answers'),
      exact('/mod/lesson/editpage.php', 'lesson pages'),
      exact('/mod/workshop/submission.php', 'workshop submissions'),
      exact('/mod/workshop/assessment.php', 'workshop assessments'),
      exact('/mod/wiki/edit.php', 'wiki pages'),
      exact('/mod/glossary/edit.php', 'glossary entries'),
      exact('/mod/data/edit.php', 'database activity entries'),
      exact('/mod/book/edit.php', 'book chapters'),
      exact('/mod/scorm/datamodel.php', 'SCORM tracking data (learner responses, suspend data)'),
      exact('/h5p/ajax.php', 'H5P content authoring'),
      exact('/comment/comment_ajax.php', 'comments'),
      exact('/course/modedit.php', 'activity settings and descriptions, pages, text and media areas'),
      exact('/course/edit.php', 'course summaries'),
      exact('/course/editsection.php', 'section summaries'),
      exact('/course/editcategory.php', 'category descriptions'),
      exact('/question/bank/editquestion/question.php', 'question text, answers and feedback'),
      exact('/blog/edit.php', 'blog entries'),
      exact('/notes/edit.php', 'notes'),
      exact('/user/edit.php', 'profile descriptions'),
      exact('/user/editadvanced.php', 'profiles edited by an administrator'),
      exact('/grade/report/grader/index.php', 'grades and feedback'),
      exact('/lib/editor/atto/autosave-ajax.php', 'Atto editor drafts'),
      exact('/admin/settings.php', 'site settings: additional HTML, custom CSS and JavaScript'),
      exact('/admin/search.php', 'site settings saved from the admin search page'),
      exact('/admin/category.php', 'site settings saved from a settings category page'),
      exact('/admin/upgradesettings.php', 'new settings saved during an upgrade'),
    ],
  },
  fileServing: {
    label: 'moodle-ha:file-serving',
    ruleName: 'MoodleFileServing',
    blockRuleName: 'BlockRestrictedExtensionsOutsideFileServing',
    description: "Moodle's file-serving scripts: the path after the script names a stored file (any name a user gave it)",
    paths: [
      prefix('/pluginfile.php/', 'course, activity and user files, student submissions'),
      prefix('/tokenpluginfile.php/', 'file links carrying a user token (e-mails, the app)'),
      prefix('/webservice/pluginfile.php/', 'Moodle app downloads (token)'),
      prefix('/draftfile.php/', 'files in the file picker before the form is saved'),
      prefix('/webservice/draftfile.php/', "the app's draft files (token)"),
      prefix('/file.php/', 'legacy course files'),
    ],
  },
} as const satisfies Record<string, MoodleScope>;
export type ScopeName = keyof typeof SCOPES;

/**
 * Where anonymous users send input: body rules always block here. None of them may ever be in a
 * counting scope (a test checks).
 */
export const UNAUTHENTICATED_ENTRY_POINTS = [
  '/login/index.php',
  '/login/signup.php',
  '/login/forgot_password.php',
  '/login/token.php',
  '/login/confirm.php',
  '/login/unlock_account.php',
  '/lib/ajax/service-nologin.php',
  '/admin/tool/mobile/launch.php',
] as const;

/** Block everywhere, or count inside one scope and block everywhere else. */
export type RuleAction = { readonly block: 'everywhere' } | { readonly countIn: ScopeName; readonly logCounted: boolean };

export interface ManagedRuleDecision {
  readonly group: ManagedRuleGroup;
  /** Rule name inside the group; "*" for the group's other rules. */
  readonly rule: string;
  /** The label the rule adds (fully qualified). */
  readonly label?: string;
  /** What it would block in normal Moodle use. */
  readonly inMoodle: string;
  readonly action: RuleAction;
  readonly why: string;
}

const CRS = 'awswaf:managed:aws:core-rule-set:';
const SQLI = 'awswaf:managed:aws:sql-database:';
const PARAM_CLEANING = "Moodle reads posted values through required_param/optional_param (PARAM_* cleaning) and the external API's parameter validation";

export const WAF_RULE_TABLE: readonly ManagedRuleDecision[] = [
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'SizeRestrictions_BODY',
    label: `${CRS}SizeRestrictions_Body`,
    inMoodle: 'every body over 8 KB: file uploads, course backups, long essays and forum posts, SCORM suspend data',
    action: { countIn: 'authoredContent', logCounted: false },
    why: "size is no attack on scripts that check the session first, and PHP's post_max_size and Moodle's upload limits cap it; elsewhere a large body is abnormal, and content beyond the inspection limit (8 KB on the ALB, 16 KB on CloudFront) would be hidden from the other body rules. Not logged when counted: it would log every upload",
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'CrossSiteScripting_BODY',
    label: `${CRS}CrossSiteScripting_Body`,
    inMoodle:
      'rich text with embedded media (iframe, object, event attributes) in posts, pages, descriptions and questions; the admin settings for additional HTML and custom JavaScript',
    action: { countIn: 'authoredContent', logCounted: true },
    why: 'Moodle cleans HTML when it displays it (format_text with HTML Purifier unless the author is trusted), and the admin settings are meant to carry script; outside authored content HTML in a body is an attack',
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'GenericRFI_BODY',
    label: `${CRS}GenericRFI_Body`,
    inMoodle: 'URLs with an IPv4 host in answers and posts (networking and web courses: http://192.0.2.10/…), "download from URL" uploads',
    action: { countIn: 'authoredContent', logCounted: true },
    why: 'Moodle never includes code from a posted URL; URLs it fetches for a user (URL downloader repository, RSS block, calendar import) go through its cURL wrapper, which refuses internal hosts ($CFG->curlsecurityblockedhosts)',
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'GenericLFI_BODY',
    label: `${CRS}GenericLFI_Body`,
    inMoodle: 'relative paths ("../") in code answers, shell commands in posts, HTML with relative links',
    action: { countIn: 'authoredContent', logCounted: true },
    why: `Moodle opens no file named in a body: files are addressed by id and hash through the File API, and paths are cleaned with PARAM_PATH / PARAM_FILE; ${PARAM_CLEANING}`,
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'RestrictedExtensions_URIPATH',
    label: `${CRS}RestrictedExtensions_URIPath`,
    inMoodle: 'downloads of submitted or uploaded files named *.log, *.ini, *.bak (pluginfile.php/…/server.log)',
    action: { countIn: 'fileServing', logCounted: false },
    why: 'the file-serving scripts send stored files from the file pool by content hash, never a file on disk named by the URL; elsewhere such a path is a probe for server files. Not logged when counted: tokenpluginfile.php paths carry a file token',
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'EC2MetaDataSSRF_BODY',
    label: `${CRS}EC2MetaDataSSRF_Body`,
    inMoodle: 'a post or answer quoting 169.254.169.254 (cloud computing courses)',
    action: { block: 'everywhere' },
    why: 'rare in teaching content, and the authored-content scripts include the "download from URL" upload: the server-side request this rule exists to stop. Moodle\'s blocked-hosts list is the second line',
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'RestrictedExtensions_QUERYARGUMENTS',
    label: `${CRS}RestrictedExtensions_QueryArguments`,
    inMoodle: 'file downloads only when slasharguments is off (pluginfile.php?file=/…/server.log)',
    action: { block: 'everywhere' },
    why: "Moodle's default (slasharguments on) puts the file name in the path: keep it on",
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: '*',
    inMoodle: 'nothing in normal use (missing User-Agent, bad bots, oversized query strings and cookies, XSS/LFI/RFI in the path, query or cookies)',
    action: { block: 'everywhere' },
    why: "Moodle's own URLs and cookies stay within these limits (the YUI combo loader caps URLs at 1,024 bytes)",
  },
  {
    group: 'AWSManagedRulesSQLiRuleSet',
    rule: 'SQLi_BODY',
    label: `${SQLI}SQLi_Body`,
    inMoodle: 'quiz and forum answers with SQL (database courses), code in question text',
    action: { countIn: 'authoredContent', logCounted: true },
    why: `Moodle's DML API sends every value as a bound parameter of a prepared statement; ${PARAM_CLEANING}. The rule keeps blocking where anonymous input arrives (login, signup, password reset)`,
  },
  {
    group: 'AWSManagedRulesSQLiRuleSet',
    rule: 'SQLiExtendedPatterns_BODY',
    label: `${SQLI}SQLiExtendedPatterns_Body`,
    inMoodle: 'the same answers (SQL patterns SQLi_BODY does not cover)',
    action: { countIn: 'authoredContent', logCounted: true },
    why: 'as SQLi_BODY',
  },
  {
    group: 'AWSManagedRulesSQLiRuleSet',
    rule: '*',
    inMoodle: 'SQL in query strings and cookies: nothing in normal use',
    action: { block: 'everywhere' },
    why: 'Moodle puts no SQL in URLs or cookies; a search for SQL text is the rare exception',
  },
  {
    group: 'AWSManagedRulesKnownBadInputsRuleSet',
    rule: '*',
    inMoodle: 'nothing (Log4j, Java deserialization, localhost Host headers, PROPFIND)',
    action: { block: 'everywhere' },
    why: 'exploit patterns for other stacks; no Moodle request carries them',
  },
  {
    group: 'AWSManagedRulesAmazonIpReputationList',
    rule: '*',
    inMoodle: 'nothing, unless a campus shares an address with known bad traffic',
    action: { block: 'everywhere' },
    why: "Amazon's threat intelligence on bots and reconnaissance sources",
  },
];

/** The rules of the table that count inside a scope, with their labels. */
export function countedRules(
  scope?: ScopeName,
): Array<ManagedRuleDecision & { readonly label: string; readonly action: { countIn: ScopeName; logCounted: boolean } }> {
  return WAF_RULE_TABLE.filter(
    (d): d is ManagedRuleDecision & { label: string; action: { countIn: ScopeName; logCounted: boolean } } =>
      'countIn' in d.action && d.label !== undefined && (scope === undefined || d.action.countIn === scope),
  );
}
