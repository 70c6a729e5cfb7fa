/*
 * test_conf_brand.c - page.language and the branding keys of pharos.yml:
 * languages, colour contrast warnings, brand files (confined, capped,
 * typed, SVG and CSS contents) and header/footer links.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lang.h"
#include "ph_err.h"
#include "pharos_conf.h"

static char dir[64];

static void
put(const char *name, const void *data, size_t len)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void
puts_file(const char *name, const char *text)
{
    put(name, text, strlen(text));
}

/* Loads "page: {id: p, name: P, <page>}" plus the minimum; returns the
 * load's result, with errors and warnings. */
static int
load(const char *page, struct pharos_conf *c, struct conf_errs *errs,
     struct conf_errs *warns)
{
    char text[4096], path[256];

    snprintf(text, sizeof(text),
             "page:\n  id: p\n  name: P\n%s"
             "regions: [{id: r}]\n"
             "components: [{id: w, name: W}]\n",
             page);
    puts_file("pharos.yml", text);
    snprintf(path, sizeof(path), "%s/pharos.yml", dir);
    memset(errs, 0, sizeof(*errs));
    memset(warns, 0, sizeof(*warns));
    return pharos_conf_load_warn(path, c, errs, warns);
}

/* 1 when some message of e holds s. */
static int
has(const struct conf_errs *e, const char *s)
{
    for (size_t i = 0; i < e->n; i++) {
        if (strstr(e->msgs[i], s) != NULL) {
            return 1;
        }
    }
    return 0;
}

static void
expect_error(const char *page, const char *what)
{
    struct pharos_conf c;
    struct conf_errs errs, warns;

    if (load(page, &c, &errs, &warns) != PH_ECONF || !has(&errs, what)) {
        fail_msg("%s: expected an error with '%s', got %zu errors: %s",
                 page, what, errs.n, errs.n ? errs.msgs[0] : "");
    }
}

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/pharos-brand-XXXXXX");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
test_language(void **state)
{
    struct pharos_conf c;
    struct conf_errs errs, warns;

    (void)state;
    assert_int_equal(load("", &c, &errs, &warns), 0);
    assert_string_equal(c.page.language, "en");
    assert_int_equal(c.page.lang, PH_LANG_EN);
    assert_int_equal(c.page.reader_language, 0);
    pharos_conf_free(&c);
    assert_int_equal(load("  language: pt-br\n  reader_language: true\n", &c,
                          &errs, &warns),
                     0);
    assert_string_equal(c.page.language, "pt-BR");
    assert_int_equal(c.page.lang, PH_LANG_PT_BR);
    assert_int_equal(c.page.reader_language, 1);
    pharos_conf_free(&c);
    expect_error("  language: nl\n", "pharos.yml:4:13: unknown page.language "
                                     "'nl'; shipped: en, de, fr, es, pt-BR");
    expect_error("  language: auto\n", "unknown page.language 'auto'; "
                 "shipped: en, de, fr, es, pt-BR, ja, zh-CN (for the reader's "
                 "own language set page.reader_language: true)");
    expect_error("  langauge: de\n", "did you mean 'language'");
}

static void
test_contrast(void **state)
{
    struct pharos_conf c;
    struct conf_errs errs, warns;

    (void)state;
    /* the default blue passes: no warning */
    assert_int_equal(load("  brand_color: \"#0b57d0\"\n"
                          "  brand_color_dark: \"#79c0ff\"\n",
                          &c, &errs, &warns),
                     0);
    assert_int_equal(warns.n, 0);
    pharos_conf_free(&c);
    /* a pale yellow: valid, with a warning saying the ratio (1.63:1
     * against #f6f7f9) and what the page shows instead */
    assert_int_equal(load("  brand_color: \"#f5c518\"\n", &c, &errs, &warns),
                     0);
    assert_int_equal(warns.n, 1);
    assert_non_null(strstr(warns.msgs[0], "pharos.yml:4:16: warning: "
                                          "brand_color #f5c518 has a "
                                          "contrast of 1.5"));
    assert_non_null(strstr(warns.msgs[0], "below the 4.5:1 of WCAG AA"));
    assert_non_null(strstr(warns.msgs[0], "the page darkens it to #"));
    pharos_conf_free(&c);
    /* a dark navy on the dark scheme: lightened */
    assert_int_equal(load("  brand_color_dark: \"#1f3a8a\"\n", &c, &errs,
                          &warns),
                     0);
    assert_int_equal(warns.n, 1);
    assert_non_null(strstr(warns.msgs[0], "brand_color_dark #1f3a8a"));
    assert_non_null(strstr(warns.msgs[0], "dark page background #161b22"));
    assert_non_null(strstr(warns.msgs[0], "lightens"));
    pharos_conf_free(&c);
    expect_error("  brand_color_dark: blue\n",
                 "brand_color_dark must look like #1f6feb");
}

static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
                                    '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};

static void
test_brand_files(void **state)
{
    struct pharos_conf c;
    struct conf_errs errs, warns;
    char url[64], big[70 * 1024];

    (void)state;
    put("logo.png", png, sizeof(png));
    puts_file("icon.svg", "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www"
                          ".w3.org/2000/svg\" viewBox=\"0 0 1 1\"><rect "
                          "width=\"1\" height=\"1\" fill=\"#123\"/></svg>");
    puts_file("brand.css", ".top { background: url(data:image/png;base64,"
                           "AAAA) } .banner { background: url('/img/x.png') }");
    assert_int_equal(load("  logo: logo.png\n  favicon: icon.svg\n"
                          "  css: brand.css\n",
                          &c, &errs, &warns),
                     0);
    assert_non_null(strstr(c.page.logo, "/logo.png"));
    assert_int_equal(c.page.logo[0], '/');
    assert_non_null(pharos_conf_brand_file(&c.page, CONF_BRAND_LOGO, url,
                                           sizeof(url)));
    assert_string_equal(url, "brand/logo.png");
    pharos_conf_brand_file(&c.page, CONF_BRAND_FAVICON, url, sizeof(url));
    assert_string_equal(url, "brand/favicon.svg");
    pharos_conf_brand_file(&c.page, CONF_BRAND_CSS, url, sizeof(url));
    assert_string_equal(url, "brand/custom.css");
    pharos_conf_free(&c);
    /* .jpeg is published as .jpg; WebP by its RIFF header */
    put("Logo.JPEG", "\xff\xd8\xff\xe0", 4);
    put("fav.webp", "RIFF\0\0\0\0WEBPVP8 ", 16);
    assert_int_equal(load("  logo: Logo.JPEG\n", &c, &errs, &warns), 0);
    pharos_conf_brand_file(&c.page, CONF_BRAND_LOGO, url, sizeof(url));
    assert_string_equal(url, "brand/logo.jpg");
    pharos_conf_free(&c);
    expect_error("  favicon: fav.webp\n", "must end in one of .ico .png .svg");
    assert_int_equal(load("  logo: fav.webp\n", &c, &errs, &warns), 0);
    pharos_conf_free(&c);
    assert_int_equal(load("", &c, &errs, &warns), 0);
    assert_null(pharos_conf_brand_file(&c.page, CONF_BRAND_LOGO, url,
                                       sizeof(url)));
    assert_string_equal(url, "");
    pharos_conf_free(&c);

    /* confined to the configuration's directory, symlinks resolved */
    expect_error("  logo: ../../etc/x.png\n", "pharos.yml:4:9: page.logo");
    expect_error("  logo: /usr/share/pixmaps/debian-logo.png\n",
                 "is outside");
    {
        char link[256];
        snprintf(link, sizeof(link), "%s/evil.png", dir);
        assert_int_equal(symlink("/etc/hostname.png", link), 0);
        expect_error("  logo: evil.png\n", "page.logo");
        unlink(link);
        put("../outside-pharos-test.png", png, sizeof(png));
        assert_int_equal(symlink("../outside-pharos-test.png", link), 0);
        expect_error("  logo: evil.png\n", "is outside");
        unlink(link);
        snprintf(link, sizeof(link), "%s/../outside-pharos-test.png", dir);
        unlink(link);
    }
    /* types and caps */
    expect_error("  logo: missing.png\n", "No such file");
    expect_error("  favicon: logo.gif\n", "must end in one of .ico .png .svg");
    put("fake.png", "GIF89a", 6);
    expect_error("  logo: fake.png\n", "is not a PNG image");
    memset(big, ' ', sizeof(big));
    memcpy(big, "<svg>", 5);
    put("big.svg", big, sizeof(big));
    expect_error("  favicon: big.svg\n", "at most 65536 are allowed");
    expect_error("  logo: logo.png\n  logo_url: https://cdn.test/l.png\n",
                 "not both");
    /* SVG and CSS that would run a script or call another host */
    puts_file("s1.svg", "<svg><script>alert(1)</script></svg>");
    expect_error("  logo: s1.svg\n", "holds a script");
    puts_file("s2.svg", "<svg onload=\"alert(1)\"></svg>");
    expect_error("  logo: s2.svg\n", "event handler");
    puts_file("s3.svg", "<svg><image href=\"https://t.test/x.png\"/></svg>");
    expect_error("  logo: s3.svg\n", "another host");
    puts_file("s4.svg", "<html>not svg</html>");
    expect_error("  logo: s4.svg\n", "not an SVG image");
    puts_file("c1.css", "@import url(/other.css);");
    expect_error("  css: c1.css\n", "uses @import");
    puts_file("c2.css", "body { background: url( \"https://t.test/b.png\") }");
    expect_error("  css: c2.css\n", "another host");
    puts_file("c3.css", "body { background: url(//t.test/b.png) }");
    expect_error("  css: c3.css\n", "another host");
}

static void
test_links(void **state)
{
    struct pharos_conf c;
    struct conf_errs errs, warns;
    char page[2048] = "  footer_links:\n";

    (void)state;
    assert_int_equal(
        load("  header_links:\n"
             "    - {label: Home, url: \"https://acme.test/\"}\n"
             "    - {label: Support, url: \"mailto:help@acme.test\"}\n"
             "  footer_links:\n"
             "    - {label: Privacy, url: /privacy}\n",
             &c, &errs, &warns),
        0);
    assert_int_equal(c.page.nheader_links, 2);
    assert_string_equal(c.page.header_links[1].label, "Support");
    assert_int_equal(c.page.nfooter_links, 1);
    assert_string_equal(c.page.footer_links[0].url, "/privacy");
    pharos_conf_free(&c);
    expect_error("  header_links:\n    - {label: X, url: \"javascript:alert(1)"
                 "\"}\n",
                 "pharos.yml:5:7: page.header_links: url "
                 "'javascript:alert(1)' must start with https://");
    expect_error("  header_links:\n    - {label: X, url: \"//evil.test/\"}\n",
                 "must start with");
    expect_error("  header_links:\n    - {label: X, url: \"/a b\"}\n",
                 "must not hold spaces");
    expect_error("  header_links:\n    - {url: /x}\n", "label");
    expect_error("  header_links:\n    - {label: X, url: /x, target: _blank}"
                 "\n",
                 "unknown key 'target'");
    for (int i = 0; i < 9; i++) {
        size_t n = strlen(page);
        snprintf(page + n, sizeof(page) - n, "    - {label: L, url: /x}\n");
    }
    expect_error(page, "'footer_links': more than 8 entries");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_contrast),
        cmocka_unit_test(test_brand_files),
        cmocka_unit_test(test_links),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
