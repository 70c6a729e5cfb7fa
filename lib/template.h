/*
 * template.h - incident templates' text: "{{field}}" placeholders
 * replaced by values. Pure: no I/O.
 *
 * Fields: {{component}} and {{components}} (the names of the incident's
 * components, comma-separated), {{title}} (the title the caller or the
 * tool gave), {{page}} (the page's name). Other names are refused when
 * the configuration is loaded (template_check), so rendering only meets
 * known ones.
 */
#ifndef PH_TEMPLATE_H
#define PH_TEMPLATE_H

#include <stddef.h>

#define TEMPLATE_FIELD_MAX 32

struct template_values {
    const char *components;    /* "API, Database" */
    const char *title;
    const char *page;
};

/* 0 when every {{...}} in text names a known field; else -1 with the
 * offending name (cut to TEMPLATE_FIELD_MAX bytes) in bad. */
int template_check(const char *text, char bad[TEMPLATE_FIELD_MAX + 1]);

/* Renders text into out[0..outlen) with v (NULL values render as "").
 * Returns the length, or -1 when out is too small (out then holds a
 * cut, NUL-terminated prefix). */
int template_render(const char *text, const struct template_values *v,
                    char *out, size_t outlen);

#endif
