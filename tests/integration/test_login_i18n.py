#!/usr/bin/env python3
"""A private page's login form speaks the page's language (issue 18 item
2 with item 1): page.language: fr and reader_language: true on a
collector with access: password. GET /login in the reader's language
(Accept-Language, Vary), French without one; the wrong-password and
wait messages from the catalogue, escaped, with the seconds filled in."""
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, Results, http_call  # noqa: E402

PASSWORD = "correct horse battery"


def main():
    res = Results()
    h = Harness("login_i18n")
    os.environ["PH_LOGIN_PW"] = PASSWORD
    try:
        h.write_config(["r1"], "components:\n  - {id: w, name: W}\n", agents_for=[],
                       page_yaml="  access: password\n  password_env: PH_LOGIN_PW\n"
                                 "  language: fr\n  reader_language: true\n")
        with open(h.conf_path) as f:
            text = f.read().replace("  publish_dir: public\n", "")
        with open(h.conf_path, "w") as f:
            f.write(text)
        h.start_collector()

        def login_form(accept):
            return http_call("GET", h.url("/login"),
                             headers={"Accept-Language": accept} if accept else {})

        code, hd, body = login_form(None)
        b = body.decode()
        res.check("GET /login without Accept-Language: French (page.language)",
                  code == 200 and '<html lang="fr">' in b and
                  '<label for="password">Mot de passe</label>' in b and
                  ">Se connecter</button>" in b and
                  "Accept-Language" in (hd.get("Vary") or ""), b[:400])
        code, _, body = login_form("ja-JP,ja;q=0.9")
        b = body.decode()
        res.check("GET /login for a Japanese reader: Japanese",
                  code == 200 and '<html lang="ja">' in b and ">パスワード</label>" in b
                  and ">ログイン</button>" in b, b[:400])
        code, _, body = login_form("nl, en;q=0.1")
        res.check("GET /login for Dutch then English: English (highest shipped q)",
                  code == 200 and ">Password</label>" in body.decode() and
                  ">Sign in</button>" in body.decode(), body[:300])

        form = urllib.parse.urlencode({"password": "wrong", "next": "/"}).encode()
        hdrs = {"Content-Type": "application/x-www-form-urlencoded",
                "Accept-Language": "de-DE"}
        codes, bodies = [], []
        for _ in range(12):
            code, hd, body = http_call("POST", h.url("/login"), headers=hdrs, body=form)
            codes.append(code)
            bodies.append(body.decode())
            last = body
            if code == 429:
                break
        res.check("a wrong password, in German",
                  codes[0] == 401 and 'role="alert">Falsches Passwort.</p>' in bodies[0],
                  bodies[0][-300:])
        first = http_call("POST", h.url("/login"), body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "es"})
        m = re.search(r'role="alert">Zu viele falsche Passwörter: Bitte in (\d+) s '
                      r'erneut versuchen\.</p>', last.decode())
        res.check("wrong passwords, then the wait, in German with the seconds",
                  codes[0] == 401 and codes[-1] == 429 and m is not None and
                  hd.get("Retry-After") == m.group(1), (codes, last[-300:]))
        res.check("the wait message in Spanish for a Spanish reader",
                  first[0] == 429 and "Demasiadas contraseñas incorrectas" in
                  first[2].decode(), first[2][-300:])
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
