"""The entries list with 5,000 entries, on the release binary and SQLite.

    cargo build --release -p timetracker
    mkdir -p /tmp/tt5k && echo 'correct-horse-battery-staple-9' > /tmp/tt5k/pw
    python3 tests/perf/entries_list.py target/release/timetracker /tmp/tt5k

Fills a fresh data directory through the API (four entries a day for
1,250 days), signs in through the login form, and times 30 requests of
three list pages over one keep-alive connection on loopback.
"""
import http.client, json, re, subprocess, sys, time, os, statistics, urllib.parse

BIN, DATA, PORT = sys.argv[1], sys.argv[2], 18481
env = dict(os.environ, DATA_DIR=DATA, LOG_DIR=DATA + "/logs", PORT=str(PORT), LOG_FORMAT="off")
subprocess.run([BIN, "setup", "--admin-username", "boss", "--admin-password-file", DATA + "/pw"], env=env, check=True, capture_output=True)
srv = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT); c.request("GET", "/readyz"); 
            if c.getresponse().status == 200: break
        except OSError: time.sleep(0.1)
    c = http.client.HTTPConnection("127.0.0.1", PORT)
    def call(method, path, body=None, headers=None):
        h = dict(headers or {})
        if body is not None:
            body = json.dumps(body); h["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse(); data = r.read()
        return r.status, data, r
    s, d, _ = call("POST", "/api/v1/auth/login", {"username": "boss", "password": open(DATA + "/pw").read().strip()})
    tok = {"Authorization": "Bearer " + json.loads(d)["token"]}
    s, d, _ = call("POST", "/api/v1/projects", {"name": "Atlas"}, tok); pid = json.loads(d)["id"]
    t0 = time.time()
    for i in range(5000):
        day, slot = divmod(i, 4)
        start = time.gmtime(1600000000 + day * 86400)
        date = time.strftime("%Y-%m-%d", start)
        s, d, _ = call("POST", "/api/v1/time-entries", {"project_id": pid, "start": f"{date}T{8+2*slot:02}:00:00Z",
                                                        "end": f"{date}T{9+2*slot:02}:30:00Z", "notes": f"entry {i}", "tags": ["a"]}, tok)
        assert s == 201, d
    fill = time.time() - t0
    # A browser session.
    s, d, r = call("GET", "/login")
    cookie = r.getheader("Set-Cookie").split(";")[0]
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', d).group(1).decode()
    form = urllib.parse.urlencode({"csrf_token": csrf, "username": "boss", "password": open(DATA + "/pw").read().strip(), "next": "/"})
    c.request("POST", "/login", body=form, headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read()
    cookie = (r.getheader("Set-Cookie") or cookie).split(";")[0]
    for path in ["/entries", "/entries?page=50", "/entries?tag=a&from=2021-01-01&to=2021-12-31"]:
        times = []
        for k in range(30):
            t = time.perf_counter()
            c.request("GET", path, headers={"Cookie": cookie}); r = c.getresponse(); body = r.read()
            times.append((time.perf_counter() - t) * 1000)
            assert r.status == 200, (r.status, body[:300])
        rows = body.count(b'/edit"')
        print(f"{path}: {len(body)/1024:.1f} KiB, {rows} rows, median {statistics.median(times):.1f} ms, p95 {sorted(times)[28]:.1f} ms (30 requests)")
    print(f"filled 5000 entries through the API in {fill:.1f} s")
finally:
    srv.terminate(); srv.wait()
