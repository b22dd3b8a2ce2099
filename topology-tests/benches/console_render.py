"""The web console's page at the fabric benchmark's size, timed from the browser's side
(Debian's chromium, headless, driven by Playwright): from navigation until every endpoint is
drawn, and from an endpoint created through the REST API until it is drawn.

One JSON argument: url, token, chromium, endpoints (how many the page must draw), endpoint
(key, path and body of the new one). Prints {"loadMs": .., "changeMs": .., "drawn": ..}.
"""

import json
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

cfg = json.loads(sys.argv[1])
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=cfg["chromium"], args=["--no-sandbox"])
    ctx = browser.new_context(http_credentials={"username": "admin", "password": cfg["token"]})
    page = ctx.new_page()
    rows = page.locator("[data-endpoint]")
    start = time.monotonic()
    page.goto(cfg["url"] + "/ui/")
    while rows.count() < cfg["endpoints"] and time.monotonic() - start < 30:
        time.sleep(0.005)
    load_ms = (time.monotonic() - start) * 1000
    drawn = rows.count()
    e = cfg["endpoint"]
    req = urllib.request.Request(
        cfg["url"] + e["path"], data=json.dumps(e["body"]).encode(), method="POST",
        headers={"Authorization": "Bearer " + cfg["token"], "Content-Type": "application/json"},
    )
    start = time.monotonic()
    urllib.request.urlopen(req, timeout=10).read()
    page.wait_for_selector(f'[data-endpoint="{e["key"]}"]', timeout=10000)
    change_ms = (time.monotonic() - start) * 1000
    browser.close()
print(json.dumps({"loadMs": round(load_ms), "changeMs": round(change_ms), "drawn": drawn}))
