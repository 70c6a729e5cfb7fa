/*
 * incident_template.h - incident templates' text: "{{field}}"
 * placeholders replaced by values, through the same `{{name}}` reader
 * as multi-step checks (template.h). Pure: no I/O.
 *
 * Fields: {{component}} and {{components}} (the names of the incident's
 * components, comma-separated), {{title}} (the title the caller or the
 * tool gave), {{page}} (the page's name). Other names are refused when
 * the configuration is loaded (inc_template_check), so rendering only
 * meets known ones.
 */
#ifndef PH_INCIDENT_TEMPLATE_H
#define PH_INCIDENT_TEMPLATE_H

#include <stddef.h>

#define TEMPLATE_FIELD_MAX 32

struct template_values {
    const char *components;    /* "API, Database" */
    const char *title;
    const char *page;
};

/* 0 when every {{...}} in text names a known field; else -1 with the
 * offending name (cut to TEMPLATE_FIELD_MAX bytes), or "{{ without }}"
 * for a placeholder that is not closed or not a name, in bad. */
int inc_template_check(const char *text, char bad[TEMPLATE_FIELD_MAX + 1]);

/* Renders text into out[0..outlen) with v (NULL values render as "";
 * text that is not a valid template is copied as is). Returns the
 * length, or -1 when out is too small (out then holds a cut,
 * NUL-terminated prefix). */
int inc_template_render(const char *text, const struct template_values *v,
                        char *out, size_t outlen);

#endif
