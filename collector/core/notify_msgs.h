/*
 * notify_msgs.h - the message catalogue of the notifications: every
 * human-readable string of the emails (and of the Slack messages, which
 * share struct notify_text) in each shipped language (lib/lang.h).
 *
 * A string a language lacks falls back to English; notify_msgs_missing()
 * lists them (pharos-collector --check warns, tests/unit/test_notify_msgs
 * fails on any). Strings may hold "{1}" and "{2}", filled by
 * notify_msg_fill(); never printf formats. Pure, no I/O.
 */
#ifndef PH_NOTIFY_MSGS_H
#define PH_NOTIFY_MSGS_H

#include <stddef.h>

#include "buf.h"

/* X(enum suffix, key, English) */
#define NOTIFY_MSGS(X)                                                     \
    X(KIND_INCIDENT, "kind.incident", "Incident")                          \
    X(KIND_MAINTENANCE, "kind.maintenance", "Scheduled maintenance")       \
    X(LABEL_STATUS, "label.status", "Status")                              \
    X(LABEL_AFFECTED, "label.affected", "Affected")                        \
    X(LABEL_WHEN, "label.when", "When")                                    \
    X(LABEL_PAGE, "label.page", "Status page")                             \
    X(LABEL_UNSUBSCRIBE, "label.unsubscribe", "Unsubscribe")               \
    X(VIEW_PAGE, "link.view_page", "View the status page")                 \
    X(UNSUBSCRIBE_LINK, "link.unsubscribe",                                \
      "Unsubscribe from these notifications")                              \
    X(WINDOW, "window", "{1} to {2}")                                      \
    X(WINDOW_OPEN, "window.open", "(open)")                                \
    X(STARTS_IN_ONE, "starts_in.one", "Starts in {1} minute")              \
    X(STARTS_IN_OTHER, "starts_in.other", "Starts in {1} minutes")         \
    X(ST_INVESTIGATING, "status.investigating", "Investigating")           \
    X(ST_IDENTIFIED, "status.identified", "Identified")                    \
    X(ST_MONITORING, "status.monitoring", "Monitoring")                    \
    X(ST_RESOLVED, "status.resolved", "Resolved")                          \
    X(ST_POSTMORTEM, "status.postmortem", "Postmortem")                    \
    X(ST_SCHEDULED, "status.scheduled", "Scheduled")                       \
    X(ST_IN_PROGRESS, "status.in_progress", "In progress")                 \
    X(ST_VERIFYING, "status.verifying", "Verifying")                       \
    X(ST_COMPLETED, "status.completed", "Completed")                       \
    X(ST_UPDATE, "status.update", "Update")                                \
    X(CONFIRM_SUBJECT, "confirm.subject", "Confirm your subscription")     \
    X(CONFIRM_ASKED, "confirm.asked",                                      \
      "Someone, hopefully you, asked to receive the status notifications " \
      "of {1} at this address.")                                           \
    X(CONFIRM_OPEN, "confirm.open",                                        \
      "Confirm the subscription by opening this link:")                    \
    X(CONFIRM_LINK, "confirm.link", "Confirm the subscription")            \
    X(CONFIRM_IGNORE, "confirm.ignore",                                    \
      "If it was not you, ignore this message: nothing else will be "      \
      "sent.")                                                             \
    X(LINK_MISSING_T, "link_page.missing.title", "Missing token")          \
    X(LINK_MISSING, "link_page.missing",                                   \
      "This link is incomplete. Copy the whole link from the message.")    \
    X(LINK_UNKNOWN_T, "link_page.unknown.title", "Unknown link")           \
    X(LINK_UNKNOWN_UNSUB, "link_page.unknown_unsubscribe",                 \
      "This unsubscribe link is not valid.")                               \
    X(LINK_UNKNOWN_CONFIRM, "link_page.unknown_confirm",                   \
      "This confirmation link is not valid or was already used.")          \
    X(LINK_ERROR_T, "link_page.error.title", "Try again later")            \
    X(LINK_ERROR, "link_page.error", "The request could not be recorded.") \
    X(LINK_UNSUB_T, "link_page.unsubscribed.title", "Unsubscribed")        \
    X(LINK_UNSUB, "link_page.unsubscribed",                                \
      "You will not receive further notifications from this status "       \
      "page.")                                                             \
    X(LINK_CONFIRMED_T, "link_page.confirmed.title",                       \
      "Subscription confirmed")                                            \
    X(LINK_CONFIRMED, "link_page.confirmed",                               \
      "You will now receive notifications about incidents and "            \
      "maintenance.")                                                      \
    X(LINK_INACTIVE_T, "link_page.inactive.title",                         \
      "Subscription not active")                                           \
    X(LINK_INACTIVE, "link_page.inactive",                                 \
      "This subscription was cancelled or suspended.")                     \
    X(LOGIN_PASSWORD, "login.password", "Password")                        \
    X(LOGIN_SUBMIT, "login.submit", "Sign in")                             \
    X(LOGIN_PRIVATE, "login.private",                                      \
      "This status page is private. Open the viewer link you were given.") \
    X(LOGIN_WAIT, "login.wait",                                            \
      "Too many wrong passwords: try again in {1} s.")                     \
    X(LOGIN_UNREADABLE, "login.unreadable", "The form could not be read.") \
    X(LOGIN_WRONG, "login.wrong", "Wrong password.")                       \
    X(LOGIN_NO_PASSWORD, "login.no_password", "This page has no password.")

enum notify_msg {
#define NOTIFY_MSG_ENUM(e, key, en) NMSG_##e,
    NOTIFY_MSGS(NOTIFY_MSG_ENUM)
#undef NOTIFY_MSG_ENUM
    NMSG_COUNT
};

/* The string id in lang (a PH_LANG_* index), English when lang lacks it
 * or is out of range. Static storage. */
const char *notify_msg(int lang, enum notify_msg id);
/* The key of id ("confirm.subject"). */
const char *notify_msg_key(enum notify_msg id);
/* Appends notify_msg(lang, id) to out with "{1}" replaced by a and "{2}"
 * by b (NULL gives ""). Returns 0 or the buffer's error. */
int notify_msg_fill(struct buf *out, int lang, enum notify_msg id,
                    const char *a, const char *b);
/* The keys lang lacks, into ret[0..max) (static strings); returns how
 * many there are (may exceed max). */
size_t notify_msgs_missing(int lang, const char **ret, size_t max);

#endif
