"""The mock as the platform's own Python clients see it: pysnc (ServiceNow's) and pysnow,
over https, and the seven operations with requests. Every step is an assertion; the last line
is `N passed, M failed`.

Run by scripts/clients/run.sh, which starts `sn-conform mock --tls` and sets:
  SN_MOCK_URL   https://127.0.0.1:PORT
  REQUESTS_CA_BUNDLE  the mock's CA certificate (requests lets this variable override a
                      session's `verify`, so it is the one setting every client honours)
"""

import os
import sys
import time
import traceback

import pysnc
import pysnow
import requests

URL = os.environ["SN_MOCK_URL"]
HOST = URL.split("://", 1)[1]
ADMIN = ("admin", "admin")
results = []


def step(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok      {name}")
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
            results.append((name, e))
            print(f"FAILED  {name}: {e!r}")
            traceback.print_exc(limit=3)
        return fn
    return wrap


client = pysnc.ServiceNowClient(URL, ADMIN)
made = {}


@step("pysnc insert, with a given sys_id")
def _():
    for i, name in enumerate(["alpha", "beta", "gamma", "delta", "epsilon"]):
        gr = client.GlideRecord("awa_queue")
        gr.initialize()
        gr.name = f"pysnc {name}"
        gr.active = "true" if i % 2 == 0 else "false"
        made[name] = gr.insert()
        assert made[name], name
    gr = client.GlideRecord("awa_queue")
    gr.initialize()
    gr.sys_id = "0123456789abcdef0123456789abcdef"
    gr.name = "pysnc fixed"
    assert str(gr.insert()) == "0123456789abcdef0123456789abcdef"


@step("pysnc get by sys_id and by field")
def _():
    gr = client.GlideRecord("awa_queue")
    assert gr.get(made["beta"])
    assert gr.name == "pysnc beta"
    gr = client.GlideRecord("awa_queue")
    assert gr.get("name", "pysnc gamma")
    assert str(gr.sys_id) == str(made["gamma"])


def names(build):
    """The names a query finds, sorted (pysnc orders every query by sys_id)."""
    gr = client.GlideRecord("awa_queue")
    build(gr)
    gr.query()
    return sorted(str(r.name) for r in gr)


@step("pysnc query operators")
def _():
    assert names(lambda g: g.add_query("name", "pysnc alpha")) == ["pysnc alpha"]
    # An empty value is not "not true" (KB0715430): fixed, whose active is empty, is left out.
    assert names(lambda g: (g.add_query("name", "STARTSWITH", "pysnc"), g.add_query("active", "!=", "true"))) == ["pysnc beta", "pysnc delta"]
    assert names(lambda g: g.add_query("name", "IN", "pysnc alpha,pysnc delta")) == ["pysnc alpha", "pysnc delta"]
    assert names(lambda g: g.add_query("name", "NOT IN", "pysnc alpha,pysnc beta,pysnc gamma,pysnc fixed")) == ["pysnc delta", "pysnc epsilon"]
    assert names(lambda g: g.add_query("name", "ENDSWITH", "ta")) == ["pysnc beta", "pysnc delta"]
    assert names(lambda g: g.add_query("name", "LIKE", "mma")) == ["pysnc gamma"]
    assert names(lambda g: (g.add_query("name", "STARTSWITH", "pysnc"), g.add_query("name", "NOT LIKE", "a"))) == ["pysnc epsilon", "pysnc fixed"]
    assert names(lambda g: g.add_encoded_query("nameBETWEENpysnc b@pysnc d")) == ["pysnc beta"]
    assert names(lambda g: g.add_encoded_query("name>=pysnc fixed^name<pysnc z")) == ["pysnc fixed", "pysnc gamma"]
    assert names(lambda g: (g.add_query("name", "STARTSWITH", "pysnc"), g.add_null_query("active"))) == ["pysnc fixed"]
    assert names(lambda g: (g.add_query("name", "STARTSWITH", "pysnc"), g.add_not_null_query("active"), g.add_query("name", "<", "pysnc c"))) == ["pysnc alpha", "pysnc beta"]
    assert names(lambda g: g.add_query("name", "pysnc alpha").add_or_condition("name", "pysnc beta")) == ["pysnc alpha", "pysnc beta"]
    assert names(lambda g: g.add_encoded_query("name=pysnc alpha^NQname=pysnc gamma")) == ["pysnc alpha", "pysnc gamma"]


@step("pysnc ordering, pages and row count")
def _():
    gr = client.GlideRecord("awa_queue", batch_size=2)
    gr.add_query("name", "STARTSWITH", "pysnc")
    gr.order_by_desc("name")
    gr.query()
    assert gr.get_row_count() == 6, gr.get_row_count()
    seen = [str(r.name) for r in gr]
    assert seen == sorted(seen, reverse=True) and len(seen) == 6, seen


@step("pysnc display values of a reference")
def _():
    admin = client.GlideRecord("sys_user")
    assert admin.get("user_name", "admin")
    wi = client.GlideRecord("awa_work_item")
    wi.initialize()
    wi.assigned_to = str(admin.sys_id)
    wi.state = "queued"
    made["work_item"] = wi.insert()
    wi = client.GlideRecord("awa_work_item")
    assert wi.get(made["work_item"])
    assert wi.assigned_to.get_value() == str(admin.sys_id)
    # A user shows as its name, as on an instance (the admin account: System Administrator).
    assert wi.assigned_to.get_display_value() == "System Administrator", wi.assigned_to.get_display_value()


@step("pysnc update and delete")
def _():
    gr = client.GlideRecord("awa_queue")
    assert gr.get(made["alpha"])
    gr.name = "pysnc alpha renamed"
    gr.update()
    again = client.GlideRecord("awa_queue")
    assert again.get(made["alpha"]) and again.name == "pysnc alpha renamed"
    assert again.sys_mod_count == "1", again.sys_mod_count
    assert again.delete()
    gone = client.GlideRecord("awa_queue")
    assert not gone.get(made["alpha"])


@step("pysnc update_multiple and delete_multiple (the Batch API)")
def _():
    gr = client.GlideRecord("awa_queue")
    gr.add_query("active", "false")
    gr.query()
    for r in gr:
        r.name = str(r.name) + " (inactive)"
    assert gr.update_multiple()
    assert names(lambda g: g.add_query("name", "ENDSWITH", "(inactive)")) == ["pysnc beta (inactive)", "pysnc delta (inactive)"]
    gr = client.GlideRecord("awa_queue")
    gr.add_query("name", "STARTSWITH", "pysnc")
    assert gr.delete_multiple()
    assert names(lambda g: g.add_query("name", "STARTSWITH", "pysnc")) == []


@step("pysnc OAuth password grant, refresh after expiry")
def _():
    flow = pysnc.ServiceNowPasswordGrantFlow("admin", "admin", "sn-conform", "sn-conform")
    oauth = pysnc.ServiceNowClient(URL, flow)
    gr = oauth.GlideRecord("sys_user")
    assert gr.get("user_name", "admin")
    first = oauth.session.token["access_token"]
    time.sleep(float(os.environ.get("SN_MOCK_TOKEN_LIFETIME", "2")) + 1)
    # The expired token is refused...
    expired = requests.get(URL + "/api/now/table/sys_user", headers={"Authorization": "Bearer " + first, "Accept": "application/json"})
    assert expired.status_code == 401, expired.status_code
    # ...and the refresh grant (requests-oauthlib, as pysnc sets it up) gives a new one.
    oauth.session.refresh_token(URL + "/oauth_token.do", client_id="sn-conform", client_secret="sn-conform")
    assert oauth.session.token["access_token"] != first
    gr = oauth.GlideRecord("sys_user")
    assert gr.get("user_name", "no.role"), "the refreshed token was refused"


@step("pysnc wrong password is 401")
def _():
    bad = pysnc.ServiceNowClient(URL, ("admin", "wrong"))
    try:
        bad.GlideRecord("sys_user").get("user_name", "admin")
    except pysnc.exceptions.AuthenticationException:
        return
    raise AssertionError("no AuthenticationException")


snow = pysnow.Client(host=HOST, user="admin", password="admin")


@step("pysnow create, query builder, pages, update, delete")
def _():
    queues = snow.resource(api_path="/table/awa_queue")
    ids = [queues.create(payload={"name": f"pysnow {i}", "active": "true"})["sys_id"] for i in range(5)]
    q = pysnow.QueryBuilder().field("name").starts_with("pysnow").AND().field("name").not_equals("pysnow 0").AND().field("name").order_descending()
    queues.parameters.limit = 2  # pages of two, followed through the Link header
    got = [r["name"] for r in queues.get(query=q).all()]
    assert got == ["pysnow 4", "pysnow 3", "pysnow 2", "pysnow 1"], got
    q = pysnow.QueryBuilder().field("name").equals("pysnow 1").OR().field("name").equals("pysnow 2")
    assert [r["name"] for r in queues.get(query=q).all()] == ["pysnow 1", "pysnow 2"]
    q = pysnow.QueryBuilder().field("name").ends_with(" 3").AND().field("name").not_equals("pysnow 30")
    assert [r["name"] for r in queues.get(query=q).all()] == ["pysnow 3"]
    q = pysnow.QueryBuilder().field("name").contains("w 4").AND().field("active").is_not_empty().AND().field("name").not_contains("zero")
    assert [r["name"] for r in queues.get(query=q).all()] == ["pysnow 4"]
    updated = queues.update(query={"sys_id": ids[0]}, payload={"name": "pysnow zero"})
    assert updated["name"] == "pysnow zero"
    for i in ids:
        assert queues.delete(query={"sys_id": i})["status"] == "record deleted"


@step("the seven operations with requests")
def _():
    s = requests.Session()
    s.auth = ADMIN
    s.headers["Accept"] = "application/json"
    api = URL + "/api/now"
    table = lambda t: f"{api}/table/{t}"
    channel = s.post(table("awa_service_channel"), json={"name": "requests channel"}).json()["result"]["sys_id"]
    reason = s.post(table("awa_reject_reason"), json={"reason": "Busy", "order": "1", "service_channel": channel}).json()["result"]["sys_id"]
    r = s.get(f"{api}/awa/inbox/actions/reject_reasons/{channel}")
    assert r.status_code == 200 and r.json()["result"][0]["value"] == "Busy", r.text
    agent = s.post(table("sys_user"), json={"user_name": "requests.agent"}).json()["result"]["sys_id"]
    doc = s.post(table("incident"), json={"short_description": "requests"}).json()["result"]["sys_id"]
    item = lambda: s.post(table("awa_work_item"), json={"assigned_to": agent, "state": "pending_accept", "document_table": "incident", "document_id": doc}).json()["result"]["sys_id"]
    r = s.post(f"{api}/awa/inbox/actions/accept", json={"agent_id": agent, "work_item_id": item()})
    assert r.status_code == 200 and r.json()["result"]["documentSysId"] == doc, r.text
    r = s.post(f"{api}/awa/inbox/actions/reject", json={"agent_id": agent, "work_item_id": item(), "reject_reason_id": reason})
    assert r.status_code == 200, r.text
    r = s.post(f"{api}/interaction", json={"channel": channel})
    assert r.status_code == 201, r.text
    interaction = r.json()["result"]["sys_id"]
    for member_type in ["observer", "private_fulfiller"]:
        s.post(table("sys_cs_conversation_member"), json={"conversation": interaction, "member": agent, "member_type": member_type})
    r = s.put(f"{api}/conversation/member/{agent}/update", json={"interaction_id": interaction, "member_type": "public_fulfiller"})
    assert r.status_code in (200, 500), r.text
    r = s.put(f"{api}/conversation/member/{agent}/drop", json={"interaction_id": interaction})
    assert r.status_code == 200 and r.json()["result"]["success"] is True, r.text
    r = s.post(f"{api}/interaction/{interaction}/close")
    assert r.status_code == 200 and r.json()["result"]["state"] == "closed_complete", r.text


failed = [n for n, e in results if e is not None]
print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
