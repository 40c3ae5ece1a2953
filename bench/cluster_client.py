"""A small, bounded HTTP client for the cluster benchmarks and fault runs (bench/load.py, scripts/faults.py).

Only 127.0.0.1 / localhost targets are accepted. One persistent connection per client thread (like a browser or an
API client behind one keep-alive connection); a broken connection is reopened on the next request."""
import http.client
import json
import re
import time
import uuid
from urllib.parse import urlencode, urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def check_local(url):
    host = urlsplit(url).hostname
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"refusing to send load to {host}: only 127.0.0.1 is allowed")
    return url


class Client:
    def __init__(self, base, timeout=30):
        parts = urlsplit(check_local(base))
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.conn = None
        self.cookies = {}
        self.headers = {}

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, *, json_body=None, form=None, headers=None):
        """-> (status, headers dict, body bytes). Raises OSError / http.client errors on a broken connection."""
        hdrs = {**self.headers, **(headers or {})}
        body = None
        if json_body is not None:
            body, hdrs["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body, hdrs["Content-Type"] = urlencode(form).encode(), "application/x-www-form-urlencoded"
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
        except Exception:
            self.close()
            raise
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def get_json(self, path):
        status, _h, data = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {data[:300]!r}")
        return json.loads(data)

    def post_json(self, path, body=None, expect=(200, 201, 202), headers=None):
        status, _h, data = self.request("POST", path, json_body=body or {}, headers=headers)
        if status not in expect:
            raise RuntimeError(f"POST {path}: {status} {data[:300]!r}")
        return json.loads(data) if data else None


def api_login(base, username, password="demo"):
    """A client with a bearer token (pages and API share one live session per user: log each user in once and
    share the token between threads)."""
    c = Client(base)
    token = c.post_json("/api/v1/auth/login", {"username": username, "password": password})["token"]
    c.headers["Authorization"] = f"Bearer {token}"
    return c, token


def page_login(base, username, password="demo"):
    """Session cookies of a browser signed in through the login form (with its CSRF token)."""
    c = Client(base)
    _s, _h, body = c.request("GET", "/login")
    m = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body) or \
        re.search(rb'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', body)
    form = {"username": username, "password": password}
    if m:
        form["csrf_token"] = m.group(1).decode()
    status, _h, _b = c.request("POST", "/login", form=form)
    if status != 302:
        raise RuntimeError(f"page login of {username}: {status}")
    return dict(c.cookies)


SERVICE_TYPE = "咨询"  # a 服务类型 of the demo dictionary


def create_service_requests(client, customer_no, n, tag):
    """n service requests (as a service rep): each starts a customer_service process waiting for dispatch."""
    ids = []
    for i in range(n):
        sr = client.post_json("/api/v1/service-requests", {"type": SERVICE_TYPE, "customer_no": customer_no,
                                                           "summary": f"{tag} {i}", "request": "load test"})
        ids.append(sr["id"])
    return ids


def dispatch_tasks(client, request_ids):
    """{request id: open dispatch task id} from the supervisor's inbox."""
    wanted, found, page = {str(i) for i in request_ids}, {}, 1
    while len(found) < len(wanted):
        items = client.get_json(f"/api/v1/tasks?process=customer_service&per_page=100&page={page}")["items"]
        if not items:
            break
        for t in items:
            if t["bpmn_id"] == "dispatch" and t["business_key"] in wanted:
                found[int(t["business_key"])] = t["id"]
        page += 1
    return found


def complete_with_retries(client, task_id, data, *, attempts=20, pause=0.25):
    """POST the completion with an Idempotency-Key, retrying (same key) on a broken connection, 502/503/504.
    -> (final status, tries, body)."""
    key = uuid.uuid4().hex
    status, body = None, None
    for tries in range(1, attempts + 1):
        try:
            status, _h, raw = client.request("POST", f"/api/v1/tasks/{task_id}/complete", json_body={"data": data},
                                             headers={"Idempotency-Key": key})
            body = _json_or_text(raw)
        except (OSError, http.client.HTTPException) as exc:
            status, body = None, {"error": repr(exc)}
        if status not in (None, 502, 503, 504):
            return status, tries, body
        time.sleep(pause)
    return status, attempts, body


def _json_or_text(raw):
    try:
        return json.loads(raw) if raw else None
    except ValueError:  # nginx's own 502 page
        return {"text": raw[:200].decode("utf-8", "replace")}


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]
