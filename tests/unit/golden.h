/*
 * golden.h - compares test output with the files in tests/golden/.
 *
 * A check fails with the first line that differs (and its neighbours),
 * never with two whole documents. With PH_GOLDEN_UPDATE=1 in the
 * environment a check instead rewrites a file whose text changed and
 * notes it; golden_finish() then lists the rewritten files and makes the
 * run fail (exit GOLDEN_UPDATE_EXIT), so that the variable is never left
 * on by accident. `cmake --build build --target golden-update` runs every
 * golden test that way (cmake/golden_update.cmake); review with git diff.
 *
 * Test code: cmocka assertions, called from the test's thread only.
 */
#ifndef PH_TEST_GOLDEN_H
#define PH_TEST_GOLDEN_H

/* The exit status of an update run in which no test failed. */
#define GOLDEN_UPDATE_EXIT 99

/*
 * Compares got (borrowed, NUL-terminated) with the file at path byte for
 * byte, or rewrites the file in an update run.
 */
void golden_text(const char *path, const char *got);

/*
 * For JSON documents: got (borrowed) is the compact text as served. The
 * file holds it pretty-printed (two-space indent, one member a line, key
 * order kept), so a diff names the field that changed. Both sides are
 * parsed and pretty-printed before they are compared; then got must be,
 * byte for byte, the compact form of the file (with its final newline),
 * so what the feed serves is checked exactly too.
 */
void golden_json(const char *path, const char *got);

/*
 * Returns main()'s exit status: failed (cmocka's count of failed tests)
 * in a normal run. In an update run it prints the files rewritten and
 * returns 1 if a test failed, else GOLDEN_UPDATE_EXIT.
 */
int golden_finish(int failed);

#endif
