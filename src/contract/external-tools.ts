// The programs Moodle runs from the runtime image ("System paths" in the admin UI), and those it
// can use but the image leaves out, with why. One list: config.php forces each path (a test
// checks it), the image test runs each program, and docs/env.md is generated from it.

export interface ExternalTool {
  /** Moodle's setting ($CFG->name): forced by the image's config.php. */
  readonly setting: string;
  readonly path: string;
  /** The Debian package that installs it (images/runtime/Dockerfile). */
  readonly debianPackage: string;
  /** Part of every Debian system (Essential: yes), so the Dockerfile does not name it. */
  readonly essential?: true;
  /** Arguments that make it print its version and exit 0 (the image test runs them). */
  readonly versionArgs: readonly string[];
  readonly purpose: string;
}

export interface OmittedTool {
  readonly setting: string;
  readonly tool: string;
  readonly reason: string;
}

export const EXTERNAL_TOOLS: readonly ExternalTool[] = [
  {
    setting: 'pathtophp',
    path: '/usr/bin/php',
    debianPackage: 'php8.2-cli',
    versionArgs: ['--version'],
    purpose: 'Tasks Moodle starts in the background (ad hoc task runners, some reports).',
  },
  {
    setting: 'pathtodu',
    path: '/usr/bin/du',
    debianPackage: 'coreutils',
    essential: true,
    versionArgs: ['--version'],
    purpose: "moodledata's size (Site administration > Reports), instead of walking the tree in PHP.",
  },
  {
    setting: 'pathtogs',
    path: '/usr/bin/gs',
    debianPackage: 'ghostscript',
    versionArgs: ['--version'],
    purpose: 'Annotate PDF (assignment feedback): combines and flattens submitted PDFs, and writes the annotated copy.',
  },
  {
    setting: 'pathtopdftoppm',
    path: '/usr/bin/pdftoppm',
    debianPackage: 'poppler-utils',
    versionArgs: ['-v'],
    purpose: 'Annotate PDF: renders each page of a submission as an image, faster than Ghostscript.',
  },
];

export const OMITTED_TOOLS: readonly OmittedTool[] = [
  {
    setting: 'pathtounoconv',
    tool: 'unoconv (LibreOffice)',
    reason:
      'Converts Word and OpenDocument submissions to PDF for annotation. LibreOffice adds about 600 MB to every web image and keeps an office process per node that converts one document at a time; submissions already in PDF are annotated without it. Sites that need it can enable the Google Drive converter (fileconverter_googledrive).',
  },
  {
    setting: 'antivirus_clamav/pathtoclam',
    tool: 'ClamAV',
    reason:
      'Its signature database (about 300 MB, refreshed from the internet every day) belongs in one scanning service, not in each web container; the plugin can use a clamd socket on the network instead.',
  },
  {
    setting: 'filter_tex/pathlatex',
    tool: 'LaTeX, dvips, ImageMagick',
    reason: 'The TeX filter falls back to the mimetex binary Moodle ships; the default MathJax filter renders TeX in the browser.',
  },
  {
    setting: 'aspellpath',
    tool: 'GNU Aspell',
    reason: "Nothing in Moodle 4.5 uses it (the setting is left from an old editor's spell checker); its editors use the browser's spell check.",
  },
  { setting: 'pathtodot', tool: 'Graphviz dot', reason: 'Draws XHProf profiling call graphs: a developer tool, not for a production node.' },
  {
    setting: 'pathtopython',
    tool: 'Python',
    reason:
      "Only Analytics' Python machine-learning backend (mlbackend_python) uses it, and that also needs the moodlemlbackend Python package; the default PHP backend needs nothing.",
  },
];
