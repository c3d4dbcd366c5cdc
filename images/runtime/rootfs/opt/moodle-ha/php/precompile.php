<?php
// Which scripts may be compiled ahead of their first use with opcache_compile_file(): by the
// warm-up (warm.php, the cluster's hot list) and by the image build (opcache-bake.php, the whole
// tree). Only those that declare no class, interface, trait or enum. On this PHP (8.2), a class
// file compiled so and included later can leave classes undeclared: every admin page failed with
// 'Class "admin_setting_configselect_autocomplete" not found' once lib/adminlib.php was
// precompiled (by the warm-up when it was on the hot list; again by a bake of every script, which
// also broke the login). Those files compile on first use, as without either.
function mh_precompilable(string $source): bool {
    return !preg_match('/^\s*(?:(?:abstract|final|readonly)\s+)*(?:class|interface|trait|enum)\s+\w/m', $source);
}
