// What of Moodle's tree (and of each manifest plugin) is left out of the runtime image: files a
// production site never serves or runs. Measured on Moodle 4.5.6 (docs/ARCHITECTURE.md, "The
// runtime image"): 465 tests/ folders (about 64 MB) and 827 source maps (about 16 MB).
//
// - tests/ folders: PHPUnit and Behat tests and their fixtures. Kept from them: the data
//   generators (tests/generator/, which admin/tool/generator loads: `moodle-ha load` makes its
//   course with it) with the files they load, and the fixtures production code reads (the admin
//   pages that test Ghostscript, unoconv and Google Drive conversion).
// - source maps (*.map): config.php forces $CFG->cachejs on, so requirejs.php serves the combined
//   build with their links removed; jssourcemap.php (the only reader) runs only with cachejs off.
// - .github/: the project's CI definitions.
//
// Not left out: folders named behat/ outside tests/ (admin/tool/behat is a plugin Moodle expects on
// disk; lib/behat is a library that admin/tool/generator loads).

/** Files under a tests/ folder that production code or a data generator reads (paths from the tree's root). */
export const KEPT_TEST_FILES: readonly string[] = [
  // assignfeedback_editpdf\pdf::test_gs_path(): the admin page that tests Ghostscript (Annotate PDF).
  'mod/assign/feedback/editpdf/tests/fixtures/testgs.pdf',
  // The document converters' "test" admin pages.
  'files/converter/unoconv/tests/fixtures/unoconv-source.docx',
  'files/converter/googledrive/tests/fixtures/source.docx',
  // Loaded by data generators (question, contentbank, h5p).
  'question/engine/tests/helpers.php',
  'contentbank/tests/fixtures/testable_contenttype.php',
  'lib/xapi/tests/helper.php',
  'lib/xapi/tests/fixtures/handler.php',
  'lib/xapi/tests/fixtures/xapi_test_statement_post.php',
];

const KEPT = new Set(KEPT_TEST_FILES);
/** A data generator, or a question type's test helper (test_question_maker loads it for the question generator). */
const KEPT_UNDER_TESTS = [/(^|\/)tests\/generator\//, /^question\/type\/[a-z0-9_]+\/tests\/helpers?\.php$/];

/**
 * True when `rel` (a path relative to the Moodle tree's root, or to a plugin's folder when
 * `inPlugin`, with / separators) is left out of the runtime image.
 */
export function leftOutOfImage(rel: string, inPlugin = false): boolean {
  if (rel.endsWith('.map')) return true;
  if (!inPlugin && rel.startsWith('.github/')) return true;
  if (!/(^|\/)tests\//.test(rel)) return false;
  if (!inPlugin && KEPT.has(rel)) return false;
  return !KEPT_UNDER_TESTS.some((re) => re.test(rel));
}
