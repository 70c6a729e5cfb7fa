#!/usr/bin/env python3
"""The message catalogues (issue 18, item 2): every shipped language of
the page (web/i18n/<code>.json) has exactly English's keys, non-empty,
with the same {placeholders}; the languages of lib/lang.h, web/app.js and
web/i18n agree; and `pharos-collector --check` lists, per language, the
keys a catalogue lacks (a missing file too) while the configuration stays
valid. The email catalogue's completeness is tests/unit/test_notify_msgs."""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import SRC, Harness, Results  # noqa: E402

I18N = os.path.join(SRC, "web", "i18n")
# Strings that are formats or names in some languages too ("{m} min",
# "Maintenance", "Links", "JSON API"); any other equal to English is a
# string left untranslated.
SAME_OK = {"links_nav", "day_line", "bar_label", "bar_label_incidents",
           "maint_h", "impact_maintenance", "minutes", "hours",
           "hours_minutes", "incidents_one", "incidents_other", "json_link",
           "powered"}


def placeholders(s):
    return sorted(re.findall(r"\{\w+\}", s))


def main():
    res = Results()
    with open(os.path.join(SRC, "lib", "lang.h")) as f:
        c_langs = re.findall(r'X\(\w+, "([^"]+)",', f.read())
    with open(os.path.join(SRC, "web", "app.js")) as f:
        js_langs = json.loads(re.search(r"const LANGS = (\[[^\]]*\]);", f.read())
                              .group(1).replace("'", '"'))
    files = sorted(n[:-5] for n in os.listdir(I18N) if n.endswith(".json"))
    res.check("lib/lang.h, web/app.js and web/i18n ship the same languages",
              len(c_langs) == 7 and c_langs == js_langs and
              sorted(c_langs) == files, (c_langs, js_langs, files))
    with open(os.path.join(I18N, "en.json"), encoding="utf-8") as f:
        en = json.load(f)
    for code in c_langs:
        with open(os.path.join(I18N, f"{code}.json"), encoding="utf-8") as f:
            cat = json.load(f)
        missing = sorted(set(en) - set(cat))
        extra = sorted(set(cat) - set(en))
        bad = [k for k, v in cat.items() if not isinstance(v, str) or not v.strip()
               or (k in en and placeholders(v) != placeholders(en[k]))]
        res.check(f"{code}.json: English's keys, non-empty, same placeholders",
                  not missing and not extra and not bad, (missing, extra, bad))
        if code != "en":
            same = sorted(k for k in cat if cat[k] == en[k] and k not in SAME_OK)
            res.check(f"{code}.json translates (only pure formats and names "
                      "may equal English)", not same, same)

    h = Harness("catalogues")
    try:
        h.write_config(["r1"], "components:\n  - {id: w, name: W}\n")
        check = [h.bin("pharos-collector"), "--check", "-c", h.conf_path]
        p = subprocess.run(check, capture_output=True, text=True, timeout=30)
        res.check("--check with the shipped catalogues lists nothing missing",
                  p.returncode == 0 and "lacks" not in p.stderr and
                  "catalogue" not in p.stderr, p.stderr)
        web = os.path.join(h.dir, "web")
        shutil.copytree(os.path.join(SRC, "web"), web)
        de_path = os.path.join(web, "i18n", "de.json")
        with open(de_path, encoding="utf-8") as f:
            de = json.load(f)
        del de["loading"]
        de["banner_none"] = ""
        with open(de_path, "w", encoding="utf-8") as f:
            json.dump(de, f, ensure_ascii=False)
        os.unlink(os.path.join(web, "i18n", "ja.json"))
        with open(os.path.join(web, "i18n", "es.json"), "w") as f:
            f.write('{"skip": "Saltar", "skip": "twice"}')
        h.write_config(["r1"], "components:\n  - {id: w, name: W}\n", web_dir=web)
        p = subprocess.run(check, capture_output=True, text=True, timeout=30)
        err = p.stderr
        res.check("--check: a catalogue's gaps are warnings, the config stays valid",
                  p.returncode == 0 and "configuration OK" in err, (p.returncode, err))
        res.check("--check lists the keys German lacks or has empty",
                  "warning: page catalogue web/i18n: de lacks 2 keys: " in err and
                  re.search(r"de lacks 2 keys: (banner_none, loading|loading, banner_none) "
                            r"\(English is shown instead\)", err), err)
        res.check("--check names a missing catalogue file",
                  re.search(r"warning: page catalogue: \S+/i18n/ja\.json is missing", err), err)
        res.check("--check names a catalogue that is not a JSON object of strings",
                  re.search(r"warning: page catalogue: \S+/i18n/es\.json is not a JSON object",
                            err), err)
        res.check("--check says nothing of the complete ones",
                  not re.search(r"\b(fr|pt-BR|zh-CN) lacks", err), err)
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
