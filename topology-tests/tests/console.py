"""The web console in a real browser (Debian's chromium, headless, driven by Playwright).

Called by console.rs inside the controller's network namespace with one JSON argument:
url, token, chromium, hosts, links ([a, b] pairs, tunnels and uplinks), endpoint (a new
endpoint: key, path and body for POST), trace (tenant, from, to, expect). Prints a JSON
object with the problems found (and measurements); exits 1 when there is one.
"""

import json
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright, TimeoutError as Timeout

cfg = json.loads(sys.argv[1])
url = cfg["url"]
problems = []
out = {}


def check(ok, what):
    if not ok:
        problems.append(what)


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=cfg["chromium"], args=["--no-sandbox"])

    # Without a token, or with a wrong one, nothing is shown: the page and its data are 401.
    for name, creds in [("no token", None), ("a wrong token", "not-a-token-0123456789abcdef")]:
        ctx = browser.new_context(
            http_credentials={"username": "admin", "password": creds} if creds else None
        )
        r = ctx.request.get(url + "/ui/")
        check(r.status == 401, f"/ui/ with {name} answered {r.status}")
        check(r.headers.get("www-authenticate", "").startswith("Basic"),
              f"/ui/ with {name}: no Basic challenge")
        r = ctx.request.get(url + "/ui/api/state")
        check(r.status == 401, f"/ui/api/state with {name} answered {r.status}")
        check(cfg["hosts"][0] not in r.text(), f"/ui/api/state with {name} shows a host")
        # The browser itself gives up on the page (headless, it cannot ask for a token).
        page = ctx.new_page()
        try:
            r = page.goto(url + "/ui/")
            check(r.status == 401, f"the browser got /ui/ with {name}: {r.status}")
        except Exception as e:  # net::ERR_INVALID_AUTH_CREDENTIALS
            check("ERR_INVALID_AUTH_CREDENTIALS" in str(e), f"/ui/ with {name}: {e}")
        ctx.close()

    ctx = browser.new_context(http_credentials={"username": "admin", "password": cfg["token"]})
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url')})") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    r = page.goto(url + "/ui/")
    check(r.status == 200, f"/ui/ answered {r.status}")
    csp = r.headers.get("content-security-policy", "")
    check("default-src 'self'" in csp, f"no content security policy: {csp!r}")
    page.wait_for_selector("#status.live", timeout=10000)

    # The topology: every host, every link, and no other.
    for h in cfg["hosts"]:
        page.wait_for_selector(f'#topology [data-host="{h}"]', timeout=10000)
        check(page.locator(f'#switches [data-switch="{h}"] .inSync').count() == 1,
              f"switch of {h} not shown in sync")
    for a, b in cfg["links"]:
        n = page.locator(f'#topology [data-link="{a}|{b}"]').count()
        check(n == 1, f"link {a}|{b} drawn {n} times")
    drawn = page.locator("#topology .link").count()
    check(drawn == len(cfg["links"]), f"{drawn} links drawn, {len(cfg['links'])} expected")
    check(page.locator("#topology .node").count() >= len(cfg["hosts"]), "hosts missing")

    # A new endpoint, created through the REST API, appears without a reload within a second.
    page.evaluate("window.__sameDocument = 42")
    e = cfg["endpoint"]
    req = urllib.request.Request(
        url + e["path"], data=json.dumps(e["body"]).encode(), method="POST",
        headers={"Authorization": "Bearer " + cfg["token"], "Content-Type": "application/json"},
    )
    start = time.monotonic()
    urllib.request.urlopen(req, timeout=10).read()
    try:
        page.wait_for_selector(f'[data-endpoint="{e["key"]}"]', timeout=1000)
        out["endpointAppearedMs"] = round((time.monotonic() - start) * 1000)
    except Timeout:
        problems.append(f"endpoint {e['key']} not shown within a second")
    check(page.evaluate("window.__sameDocument") == 42, "the page was reloaded")

    # The trace form.
    t = cfg["trace"]
    page.fill('#trace-form [name="tenant"]', t["tenant"])
    page.fill('#trace-form [name="from"]', t["from"])
    page.fill('#trace-form [name="to"]', t["to"])
    page.click('#trace-form button')
    # (The page's policy forbids eval: wait on selectors, not on functions.)
    page.wait_for_selector(
        "#trace-result:has-text('verdict:'), #trace-result:has-text('refused')",
        timeout=10000,
    )
    result = page.text_content("#trace-result")
    check(t["expect"] in result, f"trace says {result!r}")

    # The switches' connections are among the events.
    connects = page.locator("#events li.connect").count()
    check(connects >= len(cfg["hosts"]), f"{connects} connect events shown")
    check(not errors, f"console errors: {errors}")
    if cfg.get("screenshot"):
        page.screenshot(path=cfg["screenshot"], full_page=True)
    browser.close()

print(json.dumps({"problems": problems, **out}))
sys.exit(1 if problems else 0)
