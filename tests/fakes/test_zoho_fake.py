"""Tests of the Zoho fake itself (tests/fakes/zoho_fake.py).

Run from the repository root:  python3 -m unittest tests/fakes/test_zoho_fake.py
Each test starts its own fake as a subprocess and talks HTTP to it with urllib.
"""

import hashlib
import json
import os
import subprocess
import sys
import threading
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "zoho_fake.py")
CLIENT_ID = "1000.FAKECLIENT0001"
CLIENT_SECRET = "fake-client-secret"
REDIRECT = "http://localhost:9999/integrations/zoho/callback"
SCOPES = "ZohoCRM.modules.ALL,ZohoCRM.users.READ,ZohoCRM.settings.fields.READ,WorkDrive.files.ALL"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


def multipart(fields, files):
    """fields: {name: str}; files: {name: (filename, bytes)} -> (body, content-type)."""
    boundary = "----zohofaketest" + os.urandom(8).hex()
    out = bytearray()
    for k, v in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
                f"{v}\r\n").encode()
    for k, (fname, data) in files.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; "
                f"filename=\"{fname}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class FakeCase(unittest.TestCase):
    def setUp(self):
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        self.assertTrue(line.startswith("LISTENING http://127.0.0.1:"), line)
        self.base = line.split(" ", 1)[1]
        self.token = None

    def tearDown(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        finally:
            self.proc.stdout.close()
            err = self.proc.stderr.read().decode()
            self.proc.stderr.close()
        self.assertNotIn("Traceback", err, err)
        self.assertEqual(self.proc.returncode, 0)

    # ---- HTTP

    def req(self, method, path, body=None, headers=None, json_body=None, auth=True):
        url = path if path.startswith("http") else self.base + path
        h = dict(headers or {})
        data = body
        if json_body is not None:
            data = json.dumps(json_body).encode()
            h.setdefault("Content-Type", "application/json")
        if auth and self.token and "Authorization" not in h:
            h["Authorization"] = f"Zoho-oauthtoken {self.token}"
        r = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with OPENER.open(r, timeout=10) as resp:
                return Resp(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as e:
            return Resp(e.code, e.headers, e.read())

    def ctl(self, method, path, obj=None):
        return self.req(method, "/_fake/" + path, json_body=obj, auth=False)

    def config(self, **kw):
        self.assertEqual(self.ctl("POST", "config", kw).status, 200)

    def wd(self, method, path, obj=None, **kw):
        h = {"Accept": "application/vnd.api+json"}
        if obj is not None:
            h["Content-Type"] = "application/vnd.api+json"
            return self.req(method, "/workdrive/api/v1" + path, body=json.dumps(obj).encode(),
                            headers=h, **kw)
        return self.req(method, "/workdrive/api/v1" + path, headers=h, **kw)

    # ---- OAuth

    def consent_url(self, access_type="offline", state="st-1"):
        q = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
             "scope": SCOPES, "access_type": access_type, "prompt": "consent", "state": state}
        return "/oauth/v2/auth?" + urllib.parse.urlencode(q), q

    def approve(self, access_type="offline", state="st-1", decision="accept"):
        url, q = self.consent_url(access_type, state)
        page = self.req("GET", url, auth=False)
        self.assertEqual(page.status, 200)
        form = dict(q, decision=decision)
        r = self.req("POST", "/oauth/v2/auth/approve", auth=False,
                     body=urllib.parse.urlencode(form).encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 302)
        loc = r.headers["Location"]
        self.assertTrue(loc.startswith(REDIRECT + "?"), loc)
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))

    def exchange(self, code, in_query=False, secret=CLIENT_SECRET):
        params = {"grant_type": "authorization_code", "client_id": CLIENT_ID,
                  "client_secret": secret, "redirect_uri": REDIRECT, "code": code}
        if in_query:
            return self.req("POST", "/oauth/v2/token?" + urllib.parse.urlencode(params), auth=False)
        return self.req("POST", "/oauth/v2/token", auth=False,
                        body=urllib.parse.urlencode(params).encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})

    def refresh(self, rt):
        params = {"grant_type": "refresh_token", "client_id": CLIENT_ID,
                  "client_secret": CLIENT_SECRET, "refresh_token": rt}
        return self.req("POST", "/oauth/v2/token?" + urllib.parse.urlencode(params), auth=False)

    def login(self):
        cb = self.approve()
        tok = self.exchange(cb["code"]).json
        self.token = tok["access_token"]
        return tok


class OAuthTests(FakeCase):
    def test_consent_approve_code_token_and_reuse(self):
        url, _ = self.consent_url()
        page = self.req("GET", url, auth=False)
        text = page.body.decode()
        self.assertIn("<title>Zoho Accounts</title>", text)
        self.assertIn("would like to access your Zoho account", text)
        self.assertIn('action="/oauth/v2/auth/approve"', text)
        self.assertIn('name="decision" value="accept"', text)
        self.assertIn("<li>WorkDrive.files.ALL</li>", text)

        cb = self.approve()
        self.assertEqual(cb["state"], "st-1")
        self.assertEqual(cb["location"], "us")
        self.assertEqual(cb["accounts-server"], self.base)
        self.assertRegex(cb["code"], r"^1000\.[0-9a-f]+\.[0-9a-f]+$")

        r = self.exchange(cb["code"])
        self.assertEqual(r.status, 200)
        tok = r.json
        self.assertEqual(list(tok), ["access_token", "refresh_token", "scope", "api_domain",
                                     "token_type", "expires_in"])
        self.assertEqual(tok["api_domain"], self.base)
        self.assertEqual(tok["token_type"], "Bearer")
        self.assertEqual(tok["expires_in"], 3600)
        self.assertRegex(tok["access_token"], r"^1000\.[0-9a-f]+\.[0-9a-f]+$")

        again = self.exchange(cb["code"], in_query=True)
        self.assertEqual((again.status, again.json), (200, {"error": "invalid_code"}))

    def test_errors_reject_and_no_offline(self):
        bad = self.req("GET", "/oauth/v2/auth?client_id=nope&response_type=code&redirect_uri=x"
                              "&scope=a", auth=False)
        self.assertEqual(bad.status, 400)
        self.assertIn("Invalid Client", bad.body.decode())
        self.assertEqual(self.req("GET", "/oauth/v2/auth?client_id=" + CLIENT_ID,
                                  auth=False).status, 400)
        rej = self.approve(decision="reject")
        self.assertEqual(rej, {"error": "access_denied", "state": "st-1"})

        cb = self.approve()
        self.assertEqual(self.exchange(cb["code"], secret="wrong").json,
                         {"error": "invalid_client_secret"})
        cb = self.approve(access_type="online")
        tok = self.exchange(cb["code"]).json
        self.assertIn("access_token", tok)
        self.assertNotIn("refresh_token", tok)

    def test_refresh_revoke_and_throttle(self):
        tok = self.login()
        rt = tok["refresh_token"]
        r = self.refresh(rt)
        self.assertEqual(r.status, 200)
        self.assertNotIn("refresh_token", r.json)
        self.assertNotEqual(r.json["access_token"], tok["access_token"])

        self.config(refresh_limit_per_10min=2, legacy_expires=True, token_lifetime_secs=60)
        r2 = self.refresh(rt).json
        self.assertEqual((r2["expires_in_sec"], r2["expires_in"]), (60, 60000))
        throttled = self.refresh(rt)
        self.assertEqual(throttled.status, 400)
        self.assertEqual(throttled.json["error"], "Access Denied")
        self.assertEqual(throttled.json["status"], "failure")

        rv = self.req("POST", "/oauth/v2/token/revoke?token=" + urllib.parse.quote(rt), auth=False)
        self.assertEqual((rv.status, rv.json), (200, {"status": "success"}))
        self.assertEqual(self.refresh(rt).json, {"error": "invalid_code"})
        # its access tokens died with it
        self.token = r2["access_token"]
        self.assertEqual(self.req("GET", "/crm/v8/org").status, 401)
        self.assertEqual(self.req("POST", "/oauth/v2/token/revoke?token=unknown",
                                  auth=False).status, 400)
        state = self.ctl("GET", "state").json
        self.assertIn(rt, state["revoked_refresh_tokens"])

    def test_expired_token_is_invalid_token(self):
        self.login()
        self.assertEqual(self.req("GET", "/crm/v8/org").status, 200)
        self.ctl("POST", "expire_tokens")
        r = self.req("GET", "/crm/v8/org")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json, {"code": "INVALID_TOKEN", "details": {},
                                  "message": "invalid oauth token", "status": "error"})
        self.token = None
        self.assertEqual(self.req("GET", "/crm/v8/users?type=ActiveUsers").status, 401)


class CrmTests(FakeCase):
    def setUp(self):
        super().setUp()
        self.login()

    def insert(self, module, items):
        return self.req("POST", f"/crm/v8/{module}", json_body={"data": items, "trigger": []})

    def test_org_users_fields(self):
        org = self.req("GET", "/crm/v8/org").json["org"][0]
        for k in ("id", "company_name", "zgid", "domain_name", "primary_email", "currency",
                  "time_zone"):
            self.assertIn(k, org)
        self.assertEqual(self.req("GET", "/crm/v8/org", headers={"X-CRM-ORG": "nope"}).status, 400)

        self.ctl("POST", "users", {"email": "agent@example.com", "full_name": "Agent Smith"})
        r = self.req("GET", "/crm/v8/users?type=ActiveUsers&page=1&per_page=200")
        self.assertEqual(r.status, 200)
        body = r.json
        self.assertEqual(set(body), {"users", "info"})
        emails = [u["email"] for u in body["users"]]
        self.assertEqual(emails, ["zoho.admin@example.com", "agent@example.com"])
        u = body["users"][1]
        for k in ("id", "email", "full_name", "status", "zuid", "role", "profile"):
            self.assertIn(k, u)
        self.assertEqual(u["status"], "active")
        self.assertEqual(body["info"]["count"], 2)
        me = self.req("GET", "/crm/v8/users?type=CurrentUser").json["users"]
        self.assertEqual([x["email"] for x in me], ["zoho.admin@example.com"])

        f = self.req("GET", "/crm/v8/settings/fields?module=Deals").json["fields"]
        stage = next(x for x in f if x["api_name"] == "Stage")
        self.assertTrue(stage["system_mandatory"])
        self.assertEqual(stage["pick_list_values"][0]["actual_value"], "Qualification")
        self.assertEqual(self.ctl("PUT", "fields/Deals/Stage",
                                  {"pick_list_values": ["Open", "Won"]}).status, 200)
        f = self.req("GET", "/crm/v8/settings/fields?module=Deals").json["fields"]
        stage = next(x for x in f if x["api_name"] == "Stage")
        self.assertEqual([v["display_value"] for v in stage["pick_list_values"]], ["Open", "Won"])
        self.assertEqual(self.req("GET", "/crm/v8/settings/fields?module=Nope").json["code"],
                         "INVALID_MODULE")

    def test_insert_201_207_400(self):
        r = self.insert("Accounts", [{"Account_Name": "Acme"}])
        self.assertEqual(r.status, 201)
        item = r.json["data"][0]
        self.assertEqual((item["code"], item["message"], item["status"]),
                         ("SUCCESS", "record added", "success"))
        self.assertEqual(set(item["details"]), {"Modified_Time", "Modified_By", "Created_Time",
                                                "id", "Created_By"})
        self.assertRegex(item["details"]["Created_Time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
        acc = item["details"]["id"]

        r = self.insert("Contacts", [
            {"Last_Name": "Burns", "Email": "b@x.io", "Account_Name": {"id": acc}},
            {"First_Name": "No", "Email": "n@x.io"},
        ])
        self.assertEqual(r.status, 207)
        bad = r.json["data"][1]
        self.assertEqual(bad["code"], "MANDATORY_NOT_FOUND")
        self.assertEqual(bad["details"], {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"})

        r = self.insert("Deals", [
            {"Deal_Name": "D1", "Stage": "Nope", "Closing_Date": "2026-01-01"},
            {"Deal_Name": "D2", "Stage": "Qualification", "Closing_Date": "01/02/2026"},
            {"Deal_Name": "D3", "Stage": "Qualification", "Closing_Date": "2026-01-01",
             "Amount": "12"},
            {"Deal_Name": "D4", "Stage": "Qualification", "Closing_Date": "2026-01-01",
             "Account_Name": {"id": "111"}},
        ])
        self.assertEqual(r.status, 400)
        self.assertEqual([(x["code"], x["details"]["json_path"]) for x in r.json["data"]], [
            ("INVALID_DATA", "$.data[0].Stage"), ("INVALID_DATA", "$.data[1].Closing_Date"),
            ("INVALID_DATA", "$.data[2].Amount"), ("INVALID_DATA", "$.data[3].Account_Name")])

        self.config(unique_fields={"Contacts": ["Email"]})
        r = self.insert("Contacts", [{"Last_Name": "Dup", "Email": "B@X.io"}])
        self.assertEqual(r.status, 400)
        dup = r.json["data"][0]
        self.assertEqual(dup["code"], "DUPLICATE_DATA")
        self.assertEqual(dup["details"]["duplicate_record"]["module"]["api_name"], "Contacts")
        self.assertEqual(dup["details"]["json_path"], "$.data[0].Email")

        big = self.insert("Accounts", [{"Account_Name": f"A{i}"} for i in range(101)])
        self.assertEqual(big.status, 400)
        self.assertEqual(big.json["data"][0]["code"], "LIMIT_EXCEEDED")
        self.assertEqual(self.insert("Nope", [{"x": 1}]).json["code"], "INVALID_MODULE")

        rec = self.ctl("GET", "records/Contacts").json[0]
        self.assertEqual(rec["Account_Name"], {"id": acc, "name": "Acme"})
        self.assertEqual(rec["Owner"]["email"], "zoho.admin@example.com")

        t = self.insert("Tasks", [{"Subject": "Call", "What_Id": {"id": acc},
                                   "$se_module": "Accounts", "Who_Id": {"id": rec["id"]}}])
        self.assertEqual(t.status, 201)

    def test_update_get_edit_and_if_modified_since(self):
        cid = self.insert("Leads", [{"Last_Name": "L", "Company": "C"}]).json["data"][0]["details"]["id"]
        r = self.req("PUT", f"/crm/v8/Leads/{cid}", json_body={"data": [{"Lead_Status": "Contacted"}]})
        self.assertEqual((r.status, r.json["data"][0]["message"]), (200, "record updated"))
        r = self.req("PUT", "/crm/v8/Leads", json_body={"data": [{"id": "999", "Company": "x"}]})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json["data"][0]["details"]["api_name"], "id")

        got = self.req("GET", f"/crm/v8/Leads/{cid}").json["data"][0]
        self.assertEqual(got["Lead_Status"], "Contacted")
        self.assertIsNone(got["Email"])
        mt = got["Modified_Time"]
        self.assertEqual(self.req("GET", "/crm/v8/Leads/424242").status, 204)

        self.ctl("PATCH", f"records/Leads/{cid}", {"Company": "Edited"})
        got2 = self.req("GET", f"/crm/v8/Leads/{cid}").json["data"][0]
        self.assertEqual(got2["Modified_By"]["name"], "Zoho Editor")
        self.assertGreater(got2["Modified_Time"], mt)
        nm = self.req("GET", f"/crm/v8/Leads/{cid}",
                      headers={"If-Modified-Since": "2099-01-01T00:00:00+00:00"})
        self.assertEqual(nm.status, 304)

    def test_list_requires_fields_and_pages(self):
        r = self.req("GET", "/crm/v8/Accounts")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json["code"], "REQUIRED_PARAM_MISSING")
        self.assertEqual(self.req("GET", "/crm/v8/Accounts?fields=Account_Name").status, 204)
        self.insert("Accounts", [{"Account_Name": f"A{i}", "Phone": "1"} for i in range(5)])
        r = self.req("GET", "/crm/v8/Accounts?fields=Account_Name&per_page=2&sort_by=id&sort_order=asc")
        self.assertEqual(r.status, 200)
        self.assertEqual(set(r.json["data"][0]), {"Account_Name", "id"})
        self.assertEqual([x["Account_Name"] for x in r.json["data"]], ["A0", "A1"])
        info = r.json["info"]
        self.assertTrue(info["more_records"])
        tok = info["next_page_token"]
        r2 = self.req("GET", "/crm/v8/Accounts?fields=Account_Name&per_page=2&page_token=" + tok)
        self.assertEqual([x["Account_Name"] for x in r2.json["data"]], ["A2", "A3"])
        self.assertEqual(self.req("GET", "/crm/v8/Accounts?fields=id&per_page=500").status, 400)
        future = self.req("GET", "/crm/v8/Accounts?fields=id",
                          headers={"If-Modified-Since": "2099-01-01T00:00:00+00:00"})
        self.assertEqual(future.status, 304)

    def test_search_204_criteria_and_index_lag(self):
        miss = self.req("GET", "/crm/v8/Contacts/search?email=nobody@example.com")
        self.assertEqual((miss.status, miss.body), (204, b""))
        noparam = self.req("GET", "/crm/v8/Contacts/search")
        self.assertEqual(noparam.json["code"], "EXPECTED_PARAM_MISSING")
        self.insert("Contacts", [{"Last_Name": "Burns, B (Jr)", "Email": "Ann@Example.com"}])
        hit = self.req("GET", "/crm/v8/Contacts/search?email=ann@example.com")
        self.assertEqual(hit.status, 200)
        self.assertEqual(hit.json["info"]["count"], 1)
        crit = r"((Last_Name:equals:Burns\, B \(Jr\))and(Email:starts_with:ann))"
        r = self.req("GET", "/crm/v8/Contacts/search?criteria=" + urllib.parse.quote(crit))
        self.assertEqual(r.status, 200, r.body)
        eleven = "and".join(f"(Last_Name:equals:x{i})" for i in range(11))
        r = self.req("GET", "/crm/v8/Contacts/search?criteria=" + urllib.parse.quote(eleven))
        self.assertEqual(r.status, 400)
        self.config(index_lag_secs=30)
        self.insert("Contacts", [{"Last_Name": "New", "Email": "new@example.com"}])
        self.assertEqual(self.req("GET", "/crm/v8/Contacts/search?email=new@example.com").status, 204)
        self.assertEqual(self.req("GET", "/crm/v8/Contacts/search?word=burns").status, 204)
        self.config(index_lag_secs=0)
        self.assertEqual(self.req("GET", "/crm/v8/Contacts/search?email=new@example.com").status, 200)

    def test_upsert_notes_attachments(self):
        r = self.req("POST", "/crm/v8/Contacts/upsert", json_body={
            "data": [{"Last_Name": "U", "Email": "u@x.io"}], "duplicate_check_fields": ["Email"]})
        self.assertEqual(r.json["data"][0]["action"], "insert")
        cid = r.json["data"][0]["details"]["id"]
        r = self.req("POST", "/crm/v8/Contacts/upsert", json_body={
            "data": [{"Last_Name": "U2", "Email": "U@x.io"}], "duplicate_check_fields": ["Email"]})
        self.assertEqual((r.json["data"][0]["action"], r.json["data"][0]["duplicate_field"]),
                         ("update", "Email"))
        self.assertEqual(r.json["data"][0]["details"]["id"], cid)

        n = self.req("POST", "/crm/v8/Notes", json_body={"data": [{
            "Note_Title": "T", "Note_Content": "hello",
            "Parent_Id": {"module": {"api_name": "Contacts"}, "id": cid}}]})
        self.assertEqual(n.status, 201)
        notes = self.req("GET", f"/crm/v8/Contacts/{cid}/Notes?fields=Note_Title,Note_Content,Created_Time")
        self.assertEqual(notes.json["data"][0]["Note_Content"], "hello")

        data = os.urandom(3000)
        body, ctype = multipart({}, {"file": ("quote.pdf", data)})
        up = self.req("POST", f"/crm/v8/Contacts/{cid}/Attachments", body=body,
                      headers={"Content-Type": ctype})
        self.assertEqual(up.status, 200, up.body)
        self.assertEqual(up.json["data"][0]["message"], "attachment uploaded successfully")
        aid = up.json["data"][0]["details"]["id"]
        lst = self.req("GET", f"/crm/v8/Contacts/{cid}/Attachments?fields=id,File_Name,Size,Created_Time")
        self.assertEqual(lst.json["data"][0]["File_Name"], "quote.pdf")
        self.assertEqual(lst.json["data"][0]["Size"], "3000")
        got = self.req("GET", f"/crm/v8/Contacts/{cid}/Attachments/{aid}")
        self.assertEqual(got.body, data)
        dumped = self.ctl("GET", "records/Contacts").json[0]
        self.assertEqual(dumped["attachments"][0]["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(dumped["notes"][0]["Note_Title"], "T")
        d = self.req("DELETE", f"/crm/v8/Contacts/{cid}/Attachments/{aid}")
        self.assertEqual(d.json["data"][0]["message"], "record deleted")
        self.assertEqual(self.req("GET", f"/crm/v8/Contacts/{cid}/Attachments?fields=id").status, 204)

        self.config(attachment_max_bytes=1000)
        big = self.req("POST", f"/crm/v8/Contacts/{cid}/Attachments", body=body,
                       headers={"Content-Type": ctype})
        self.assertEqual(big.status, 413)
        self.assertEqual(big.json["code"], "FILE_SIZE_MORE_THAN_ALLOWED_SIZE")

        log = self.ctl("GET", "requests").json
        upload = next(x for x in log if x["path"].endswith("/Attachments") and x["method"] == "POST")
        self.assertEqual(upload["parts"][0]["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(upload["status"], 200)
        self.assertTrue(upload["headers"]["authorization"].startswith("Zoho-oauthtoken "))

    def test_rate_limit_fail_next_and_concurrency(self):
        self.config(rate_limit_next=2)
        r = self.req("GET", "/crm/v8/org")
        self.assertEqual((r.status, r.json["code"]), (429, "TOO_MANY_REQUESTS"))
        self.assertEqual(self.wd("GET", "/files/x").status, 429)
        self.assertEqual(self.req("GET", "/crm/v8/org").status, 200)
        self.config(fail_next=[{"path_prefix": "/crm/v8/users", "status": 500}])
        r = self.req("GET", "/crm/v8/users?type=ActiveUsers")
        self.assertEqual((r.status, r.json["code"]), (500, "INTERNAL_ERROR"))
        self.assertEqual(self.req("GET", "/crm/v8/users?type=ActiveUsers").status, 200)

        self.config(delay_ms=300)
        threads = [threading.Thread(target=self.req, args=("GET", "/crm/v8/org")) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertGreaterEqual(self.ctl("GET", "state").json["max_concurrent_crm"], 2)


class WorkDriveTests(FakeCase):
    def setUp(self):
        super().setUp()
        self.login()
        self.team = self.ctl("GET", "workdrive/teamfolder").json["id"]

    def folder(self, name, parent=None):
        return self.wd("POST", "/files", {"data": {"attributes": {
            "name": name, "parent_id": parent or self.team}, "type": "files"}})

    def test_folder_upload_download(self):
        r = self.folder("Deal 42 — Acme")
        self.assertEqual(r.status, 201)
        f = r.json["data"]
        self.assertEqual((f["type"], f["attributes"]["type"], f["attributes"]["is_folder"]),
                         ("files", "folder", True))
        self.assertTrue(f["attributes"]["permalink"].startswith(self.base))
        fid = f["id"]
        self.assertEqual(self.folder("deal 42 — acme").json["errors"][0]["id"], "R504")
        self.assertEqual(self.folder("x" * 201).json["errors"][0]["id"], "F000")
        bad = self.folder("y", parent="nope")
        self.assertEqual((bad.status, bad.json["errors"][0]["id"]), (404, "R503"))
        self.assertEqual(self.req("GET", f"/workdrive/api/v1/files/{fid}").status, 415)

        data = os.urandom(5000)
        name = "Plan & costs.pdf"
        body, ctype = multipart({"filename": urllib.parse.quote(name), "parent_id": fid,
                                 "override-name-exist": "false"}, {"content": (name, data)})
        up = self.req("POST", "/workdrive/api/v1/upload", body=body,
                      headers={"Content-Type": ctype, "Accept": "application/vnd.api+json"})
        self.assertEqual(up.status, 200, up.body)
        attrs = up.json["data"][0]["attributes"]
        self.assertEqual(attrs["FileName"], name)
        self.assertEqual(attrs["parent_id"], fid)
        info = json.loads(attrs["File INFO"])
        self.assertEqual(info["RESOURCE_ID"], attrs["resource_id"])
        again = self.req("POST", "/workdrive/api/v1/upload", body=body, headers={"Content-Type": ctype})
        self.assertEqual(again.status, 409)

        dl = self.req("GET", f"/v1/workdrive/download/{attrs['resource_id']}")
        self.assertEqual(dl.status, 200)
        self.assertEqual(hashlib.sha256(dl.body).hexdigest(), hashlib.sha256(data).hexdigest())
        part = self.req("GET", f"/v1/workdrive/download/{attrs['resource_id']}",
                        headers={"Range": "bytes=10-19"})
        self.assertEqual((part.status, part.body), (206, data[10:20]))

        kids = self.wd("GET", f"/files/{fid}/files?page%5Blimit%5D=50&page%5Boffset%5D=0").json
        self.assertEqual([k["attributes"]["name"] for k in kids["data"]], [name])
        self.config(workdrive_upload_max_bytes=100)
        body2, ctype2 = multipart({"filename": "b.bin", "parent_id": fid}, {"content": ("b", data)})
        self.assertEqual(self.req("POST", "/workdrive/api/v1/upload", body=body2,
                                  headers={"Content-Type": ctype2}).status, 413)
        self.config(workdrive_upload_max_bytes=10 ** 9, workdrive_quota_bytes=6000)
        self.assertEqual(self.req("POST", "/workdrive/api/v1/upload", body=body2,
                                  headers={"Content-Type": ctype2}).status, 507)
        tr = self.wd("PATCH", f"/files/{attrs['resource_id']}",
                     {"data": {"attributes": {"status": "51"}, "type": "files"}})
        self.assertEqual(tr.json["data"]["attributes"]["status"], "51")
        self.token = "1000.bad.token"
        unauth = self.wd("GET", f"/files/{fid}")
        self.assertEqual(unauth.status, 401)
        self.assertIn("errors", unauth.json)

    def test_chunked_upload(self):
        self.config(chunk_size=1000, chunk_min_file_bytes=0)
        fid = self.folder("Big").json["data"]["id"]
        data = os.urandom(2500)
        q = urllib.parse.urlencode({"parent_id": fid, "file_name": "video.mp4", "size": len(data)})
        c = self.req("POST", "/workdrive/api/v1/uploadsession/create?" + q,
                     headers={"Accept": "application/vnd.api+json"})
        self.assertEqual(c.status, 200, c.body)
        s = c.json["data"]["attributes"]
        self.assertEqual((s["chunk_size"], s["total_chunks"], s["remaining_chunks"]), (1000, 3, 3))
        uid = s["upload_id"]

        def chunk(start, end, payload=None, upload_id=uid):
            payload = data[start:end + 1] if payload is None else payload
            return self.req("POST", "/workdrive-api/v1/stream/upload", body=payload, headers={
                "upload-id": upload_id, "Content-Range": f"bytes {start}-{end}/{len(data)}",
                "Content-Type": "application/octet-stream"})

        self.assertEqual(chunk(1000, 1999).json["errors"][0]["id"], "D9233")
        self.assertEqual(chunk(0, 999, upload_id="nope").json["errors"][0]["id"], "D9232")
        self.assertEqual(self.req("POST", "/workdrive/api/v1/uploadsession/commit?upload_id=" + uid)
                         .status, 412)
        r = chunk(0, 999)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json["data"]["attributes"]["next_chunk"], "bytes 1000-1999/2500")
        self.assertEqual(chunk(1000, 1999).status, 200)
        self.assertEqual(chunk(2000, 2499).status, 200)
        prog = self.req("GET", "/workdrive/api/v1/uploadsession?upload_id=" + uid).json
        self.assertEqual(prog["data"]["attributes"]["bytes_received"], 2500)
        done = self.req("POST", "/workdrive/api/v1/uploadsession/commit?upload_id=" + uid)
        self.assertEqual(done.status, 200, done.body)
        rid = done.json["data"]["id"]
        self.assertEqual(chunk(2000, 2499).status, 412)
        files = {f["id"]: f for f in self.ctl("GET", "workdrive/files").json}
        self.assertEqual(files[rid]["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(files[rid]["parent_id"], fid)
        self.assertEqual(self.req("GET", f"/v1/workdrive/download/{rid}").body, data)

        self.config(chunk_min_file_bytes=1073741824)
        small = self.req("POST", "/workdrive/api/v1/uploadsession/create?" + q)
        self.assertEqual(small.status, 400)


if __name__ == "__main__":
    unittest.main()
